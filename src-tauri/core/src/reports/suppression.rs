//! Small-cell suppression that resists subtraction.
//!
//! An export publishes counts in a grid: one row per day (the CSV, the Days sheet) and,
//! in the workbook, one row for the whole range (the Summary sheet). Some cells add up to
//! others ([`identities`]); a reader who knows the identities can subtract the published
//! cells from a published total and work out a hidden one. So hiding the small counts
//! (1 to the threshold, "primary" suppression) is followed by hiding more cells
//! ("complementary" suppression) until no hidden cell, and no identity's sum of hidden
//! cells, can be pinned to a value from 1 to the threshold by a reader who reasons over
//! the identities ([`disclosures`]).
//!
//! What a reader knows of a cell: a number shown; a small count hidden (`<N`) is 1 to the
//! threshold (zeros are always shown); a count written `suppressed` is 1 or more, of any
//! size: a count above the threshold hidden to protect another, or a small one whose `<N`
//! would itself help pin others (ten days of `<11` under a total of `<11` are ten ones);
//! the people still in the nurse queue are never published and are 0 or more.

/// What the reader is told about a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The number is published.
    Shown,
    /// A count from 1 to the threshold, written `<N`.
    Small,
    /// A count hidden so that a small one cannot be worked out, written `suppressed`: of
    /// any size above zero (a count above the threshold, or a small one whose `<N` would
    /// help pin another).
    Complementary,
    /// Never published (the people still in the nurse queue): 0 or more.
    Unpublished,
}

/// How a total relates to the sum of its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// total = sum of parts.
    Equal,
    /// sum of parts <= total (each guest who checked in made at least one visit, ...).
    PartsAtMost,
    /// sum of parts >= total (distinct guests over a range are at most the days' sum).
    PartsAtLeast,
}

/// One identity between cells (positions in the grid, see [`Grid`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub total: usize,
    pub parts: Vec<usize>,
    pub relation: Relation,
    /// When one more cell must be hidden, hide the total first (a range total: one cell
    /// of the Summary rather than a whole day's).
    pub prefer_total: bool,
}

impl Identity {
    fn members(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.total).chain(self.parts.iter().copied())
    }
}

/// What a reader can know of a value: `lo..=hi` (`hi` none: no upper bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub lo: i64,
    pub hi: Option<i64>,
}

impl Bounds {
    pub fn exact(value: i64) -> Self {
        Bounds {
            lo: value,
            hi: Some(value),
        }
    }

    /// What the mark tells a reader, for a threshold.
    pub fn of(mark: Mark, value: i64, threshold: i64) -> Self {
        match mark {
            Mark::Shown => Bounds::exact(value),
            Mark::Small => Bounds {
                lo: 1,
                hi: Some(threshold),
            },
            Mark::Complementary => Bounds { lo: 1, hi: None },
            Mark::Unpublished => Bounds { lo: 0, hi: None },
        }
    }

    /// The single value it is pinned to, if any.
    pub fn pinned(self) -> Option<i64> {
        (Some(self.lo) == self.hi).then_some(self.lo)
    }
}

/// The sum of bounds: (sum of `lo`, sum of `hi` when every `hi` is known).
fn add(bounds: impl Iterator<Item = Bounds>) -> (i64, Option<i64>) {
    bounds.fold((0, Some(0)), |(lo, hi), b| {
        (
            lo.saturating_add(b.lo),
            hi.zip(b.hi).map(|(a, h)| a.saturating_add(h)),
        )
    })
}

/// Tighten `bounds` by every identity until nothing changes (interval propagation, as a
/// reader with a spreadsheet would reason: a part is the total less the other parts at
/// their largest and at their smallest). Stops early if the bounds contradict each other.
pub fn propagate(bounds: &mut [Bounds], identities: &[Identity]) {
    let mut changed = true;
    while changed {
        changed = false;
        for identity in identities {
            changed |= tighten(bounds, identity);
        }
        if bounds.iter().any(|b| b.hi.is_some_and(|hi| hi < b.lo)) {
            return;
        }
    }
}

/// What one identity says of each of its cells given the others' bounds: (cell, lowest,
/// highest), none where it says nothing.
fn implied(bounds: &[Bounds], identity: &Identity) -> Vec<(usize, Option<i64>, Option<i64>)> {
    let (sum_lo, sum_hi) = add(identity.parts.iter().map(|p| bounds[*p]));
    // Parts without an upper bound, and the sum of the known ones.
    let open = identity
        .parts
        .iter()
        .filter(|p| bounds[**p].hi.is_none())
        .count();
    let known_hi: i64 = identity.parts.iter().filter_map(|p| bounds[*p].hi).sum();
    let (at_most, at_least) = match identity.relation {
        Relation::Equal => (true, true),
        Relation::PartsAtMost => (true, false),
        Relation::PartsAtLeast => (false, true),
    };
    let total = bounds[identity.total];
    let mut updates = vec![(
        identity.total,
        at_most.then_some(sum_lo),
        if at_least { sum_hi } else { None },
    )];
    for part in &identity.parts {
        let b = bounds[*part];
        // The other parts at their smallest and at their largest.
        let others_lo = sum_lo - b.lo;
        let others_hi = match (b.hi, open) {
            (Some(hi), 0) => Some(known_hi - hi),
            (None, 1) => Some(known_hi),
            _ => None,
        };
        let lo = if at_least {
            others_hi.map(|o| total.lo - o)
        } else {
            None
        };
        let hi = if at_most {
            total.hi.map(|t| t - others_lo)
        } else {
            None
        };
        updates.push((*part, lo, hi));
    }
    updates
}

/// One identity's tightening; whether any bound moved.
fn tighten(bounds: &mut [Bounds], identity: &Identity) -> bool {
    let updates = implied(bounds, identity);
    let mut changed = false;
    for (cell, lo, hi) in updates {
        let b = &mut bounds[cell];
        if let Some(lo) = lo.filter(|lo| *lo > b.lo) {
            b.lo = lo;
            changed = true;
        }
        if let Some(hi) = hi.filter(|hi| b.hi.is_none_or(|old| *hi < old)) {
            b.hi = Some(hi);
            changed = true;
        }
    }
    changed
}

/// What a reader can work out that a small-cell rule forbids: a hidden cell, or the sum of
/// an identity's hidden parts, pinned to a value from 1 to the threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disclosure {
    /// The cell at this position is pinned to this value.
    Cell(usize, i64),
    /// The hidden parts of the identity at this index add up to this value.
    Sum(usize, i64),
}

/// Every disclosure of the marks, for the values, identities and threshold.
pub fn disclosures(
    values: &[i64],
    marks: &[Mark],
    identities: &[Identity],
    threshold: i64,
) -> Vec<Disclosure> {
    solve(values, marks, identities, threshold).1
}

/// The bounds a reader gets for every cell, and the disclosures among them.
fn solve(
    values: &[i64],
    marks: &[Mark],
    identities: &[Identity],
    threshold: i64,
) -> (Vec<Bounds>, Vec<Disclosure>) {
    let mut bounds: Vec<Bounds> = values
        .iter()
        .zip(marks)
        .map(|(v, m)| Bounds::of(*m, *v, threshold))
        .collect();
    propagate(&mut bounds, identities);
    let small = |v: i64| (1..=threshold).contains(&v);
    let mut found: Vec<Disclosure> = bounds
        .iter()
        .zip(marks)
        .enumerate()
        .filter(|(_, (_, mark))| **mark != Mark::Shown)
        // A small count's `<N` says 1 when the threshold is 1: the rule cannot help that.
        .filter(|(_, (_, mark))| !(**mark == Mark::Small && threshold == 1))
        .filter_map(|(cell, (b, _))| b.pinned().filter(|v| small(*v)).map(|v| (cell, v)))
        .map(|(cell, v)| Disclosure::Cell(cell, v))
        .collect();
    for (index, identity) in identities.iter().enumerate() {
        let hidden: Vec<usize> = identity
            .parts
            .iter()
            .copied()
            .filter(|p| marks[*p] != Mark::Shown)
            .collect();
        if hidden.len() < 2 {
            continue; // none, or one: the cell itself is checked above
        }
        let shown: i64 = identity
            .parts
            .iter()
            .filter(|p| marks[**p] == Mark::Shown)
            .map(|p| values[*p])
            .sum();
        let (mut lo, mut hi) = add(hidden.iter().map(|p| bounds[*p]));
        let total = bounds[identity.total];
        if matches!(identity.relation, Relation::Equal | Relation::PartsAtLeast) {
            lo = lo.max(total.lo - shown);
        }
        if matches!(identity.relation, Relation::Equal | Relation::PartsAtMost) {
            hi = match (hi, total.hi) {
                (Some(h), Some(t)) => Some(h.min(t - shown)),
                (h, t) => h.or(t.map(|t| t - shown)),
            };
        }
        if let Some(v) = (Some(lo) == hi).then_some(lo).filter(|v| small(*v)) {
            found.push(Disclosure::Sum(index, v));
        }
    }
    (bounds, found)
}

/// The marks for `values`: `counts` says which positions are published counts (the rest
/// are [`Mark::Unpublished`] when `unpublished`, else shown as they are: text, minutes).
/// Small counts are hidden, then more until [`disclosures`] finds nothing.
pub fn protect(
    values: &[i64],
    published_count: &[bool],
    unpublished: &[bool],
    identities: &[Identity],
    threshold: i64,
) -> Vec<Mark> {
    let mut marks: Vec<Mark> = values
        .iter()
        .enumerate()
        .map(|(cell, v)| {
            if unpublished[cell] {
                Mark::Unpublished
            } else if published_count[cell] && (1..=threshold).contains(v) {
                Mark::Small
            } else {
                Mark::Shown
            }
        })
        .collect();
    {
        let mut state = State::new(values, &mut marks, identities, threshold);
        loop {
            state.local_rules();
            let (bounds, found) = solve(values, state.marks, identities, threshold);
            if found.is_empty() || !state.resolve(&bounds, &found) {
                break;
            }
        }
    }
    marks
}

/// The marks being decided, with what is needed to choose the next cell to hide.
struct State<'a> {
    values: &'a [i64],
    marks: &'a mut [Mark],
    identities: &'a [Identity],
    threshold: i64,
    /// For each cell, the identities it belongs to.
    member_of: Vec<Vec<usize>>,
    /// For each identity, how many of its cells are hidden with a value above zero.
    hidden: Vec<usize>,
}

impl<'a> State<'a> {
    fn new(
        values: &'a [i64],
        marks: &'a mut [Mark],
        identities: &'a [Identity],
        threshold: i64,
    ) -> Self {
        let mut member_of = vec![Vec::new(); values.len()];
        for (index, identity) in identities.iter().enumerate() {
            for cell in identity.members() {
                member_of[cell].push(index);
            }
        }
        let hidden = identities
            .iter()
            .map(|identity| {
                identity
                    .members()
                    .filter(|c| marks[*c] != Mark::Shown && values[*c] > 0)
                    .count()
            })
            .collect();
        State {
            values,
            marks,
            identities,
            threshold,
            member_of,
            hidden,
        }
    }

    /// Hide a shown count, or take the `<N` off a small one, as `suppressed`.
    fn hide(&mut self, cell: usize) {
        match self.marks[cell] {
            Mark::Shown => {}
            Mark::Small => {
                self.marks[cell] = Mark::Complementary;
                return;
            }
            Mark::Complementary | Mark::Unpublished => return,
        }
        self.marks[cell] = Mark::Complementary;
        for index in &self.member_of[cell] {
            self.hidden[*index] += 1;
        }
    }

    /// The cell of the identity to hide next: the total first for a range total, else
    /// the smallest shown part above zero, preferring a part that already shares another
    /// identity with a hidden cell (so hiding it does not leave that one with a lone
    /// hidden cell: the corners of a rectangle), else the total.
    fn candidate(&self, index: usize) -> Option<usize> {
        let identity = &self.identities[index];
        let shown = |c: &usize| self.marks[*c] == Mark::Shown && self.values[*c] > 0;
        let total = Some(identity.total).filter(shown);
        if identity.prefer_total && total.is_some() {
            return total;
        }
        let alone = |c: usize| {
            self.member_of[c]
                .iter()
                .any(|j| *j != index && self.hidden[*j] == 0)
        };
        identity
            .parts
            .iter()
            .filter(|c| shown(c))
            .min_by_key(|c| (alone(**c), self.values[**c]))
            .copied()
            .or(total)
    }

    /// The classic rules on each equality, to a fixed point: a total shown beside hidden
    /// parts whose sum is from 1 to the threshold, or one cell hidden alone, gets one more
    /// cell hidden.
    fn local_rules(&mut self) {
        let identities = self.identities;
        let mut changed = true;
        while changed {
            changed = false;
            for (index, identity) in identities.iter().enumerate() {
                if identity.relation != Relation::Equal || self.hidden[index] == 0 {
                    continue;
                }
                // One cell hidden alone is pinned by the others (unless it is the people
                // still in the queue and they are not few).
                let lone = self.hidden[index] == 1
                    && identity.members().any(|c| {
                        self.marks[c] != Mark::Shown
                            && self.values[c] > 0
                            && (self.marks[c] != Mark::Unpublished
                                || self.values[c] <= self.threshold)
                    });
                let small_sum = self.marks[identity.total] == Mark::Shown && {
                    let sum: i64 = identity
                        .parts
                        .iter()
                        .filter(|p| self.marks[**p] != Mark::Shown)
                        .map(|p| self.values[*p])
                        .sum();
                    (1..=self.threshold).contains(&sum)
                };
                if lone || small_sum {
                    if let Some(cell) = self.candidate(index) {
                        self.hide(cell);
                        changed = true;
                    }
                }
            }
        }
    }

    /// Hide more for what the solver found; whether anything more was hidden. Each
    /// disclosure hides a cell of an identity it comes from, or, when those have nothing
    /// left to hide, of the identities around them.
    fn resolve(&mut self, bounds: &[Bounds], found: &[Disclosure]) -> bool {
        let mut progress = false;
        for disclosure in found {
            let start: Vec<usize> = match disclosure {
                Disclosure::Cell(cell, _) => self.pinning(bounds, *cell),
                Disclosure::Sum(index, _) => vec![*index],
            };
            if let Some(cell) = self.nearest_candidate(start) {
                self.hide(cell);
                progress = true;
            }
        }
        progress
    }

    /// The identities of a pinned cell that give it its lowest or its highest bound (all of
    /// its identities if none does by itself).
    fn pinning(&self, bounds: &[Bounds], cell: usize) -> Vec<usize> {
        let own = bounds[cell];
        let pinning: Vec<usize> = self.member_of[cell]
            .iter()
            .copied()
            .filter(|index| {
                implied(bounds, &self.identities[*index])
                    .iter()
                    .any(|(c, lo, hi)| {
                        *c == cell && (*lo == Some(own.lo) || (hi.is_some() && *hi == own.hi))
                    })
            })
            .collect();
        if pinning.is_empty() {
            self.member_of[cell].clone()
        } else {
            pinning
        }
    }

    /// The best candidate of the first identities, or of the identities reached through
    /// their hidden cells, breadth first.
    fn nearest_candidate(&self, start: Vec<usize>) -> Option<usize> {
        let mut seen = vec![false; self.identities.len()];
        let mut level = start;
        for index in &level {
            seen[*index] = true;
        }
        while !level.is_empty() {
            let best = level
                .iter()
                .filter_map(|index| self.candidate(*index))
                .min_by_key(|cell| (self.identities_total_first(*cell), self.values[*cell]));
            if best.is_some() {
                return best;
            }
            // Nothing left to hide here: the `<N` of a small count (the total first) is
            // what pins, so it becomes `suppressed`.
            let small = level.iter().find_map(|index| {
                let identity = &self.identities[*index];
                identity.members().find(|c| self.marks[*c] == Mark::Small)
            });
            if small.is_some() {
                return small;
            }
            let mut next = Vec::new();
            for index in &level {
                for cell in self.identities[*index].members() {
                    if self.marks[cell] == Mark::Shown {
                        continue;
                    }
                    for j in &self.member_of[cell] {
                        if !seen[*j] {
                            seen[*j] = true;
                            next.push(*j);
                        }
                    }
                }
            }
            level = next;
        }
        None
    }

    /// Ordering key: a range total (one Summary cell) before a day's cell.
    fn identities_total_first(&self, cell: usize) -> bool {
        !self.member_of[cell]
            .iter()
            .any(|j| self.identities[*j].prefer_total && self.identities[*j].total == cell)
    }
}
