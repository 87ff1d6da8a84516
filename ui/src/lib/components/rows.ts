// Long lists (years of overdue follow-ups, 500 audit entries) are drawn this many rows at a
// time: drawing and removing thousands of rows is what made those screens slow to open and
// to leave. A button under the table shows the rest.
export const FIRST_ROWS = 50;
