// Components never talk to the backend directly: api.ts is the one module that does.
import { describe, expect, it } from 'vitest';

const sources = import.meta.glob(['../**/*.ts', '../**/*.svelte', '!../**/*.test.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

describe('backend access', () => {
  it('finds the UI sources to check', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(5);
  });

  it('imports @tauri-apps/api only from lib/api.ts', () => {
    const offenders = Object.entries(sources)
      .filter(([, text]) => text.includes('@tauri-apps/api'))
      .map(([path]) => path)
      // Paths are relative to this file, which sits beside api.ts.
      .filter((path) => path !== './api.ts');
    expect(offenders).toEqual([]);
  });
});
