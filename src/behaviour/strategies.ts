import type { BlockId } from "../chain/types";
import { MAX_QUERY_HEIGHTS } from "../wire/limits";
import type { LedgerView } from "./behaviour";
import type { SplitEstimate } from "./split-estimate";

/**
 * How the lying behaviours answer a query, as pure functions of what the peer knows, so that the
 * peers and the simulator run the same adversaries. Each gives a block id (or no opinion) per
 * height from `fromHeight`; accepted heights are answered truthfully where a lie would only be a
 * vote for a block nobody has (which counts as a dropped vote anyway).
 */
export type AnswerStrategy = (view: LedgerView, fromHeight: number, toHeight: number) => (BlockId | undefined)[];

/** Undecided heights of a query, with the truthful answer below them. */
function eachHeight(view: LedgerView, fromHeight: number, toHeight: number, undecided: (height: number) => BlockId | undefined): (BlockId | undefined)[] {
  const top = Math.min(toHeight, fromHeight + MAX_QUERY_HEIGHTS - 1, view.lastAcceptedHeight + MAX_QUERY_HEIGHTS);
  const ids: (BlockId | undefined)[] = [];
  for (let h = fromHeight; h <= top; h++) ids.push(h <= view.lastAcceptedHeight ? view.acceptedAt(h)?.id : undecided(h));
  while (ids.length > 0 && ids[ids.length - 1] === undefined) ids.pop();
  return ids;
}

/** A uniformly random candidate at each undecided height. */
export function randomAnswer(random: () => number): AnswerStrategy {
  return (view, from, to) =>
    eachHeight(view, from, to, (h) => {
      const c = view.candidatesAt(h);
      return c.length === 0 ? undefined : c[Math.floor(random() * c.length)];
    });
}

/**
 * Against the majority: at each undecided height, a candidate other than the one this peer's own
 * (honest) polls settled on, which is what the majority prefers as far as it can tell.
 */
export function contrarianAnswer(random: () => number): AnswerStrategy {
  return (view, from, to) => {
    const preferred = view.preferredChain();
    const at = (h: number): BlockId | undefined => preferred[h - view.lastAcceptedHeight - 1]?.id;
    return eachHeight(view, from, to, (h) => {
      const others = view.candidatesAt(h).filter((id) => id !== at(h));
      return others.length === 0 ? undefined : others[Math.floor(random() * others.length)];
    });
  };
}

/**
 * Keeps each undecided height as close to an even split as it can: the vote goes to the
 * candidate fewest members are seen to prefer — the adversary that keeps Snowball metastable
 * (Kniep, Laval, Sliwinski, Wattenhofer, arXiv 2409.02217).
 */
export function balancingAnswer(split: SplitEstimate, random: () => number): AnswerStrategy {
  return (view, from, to) =>
    eachHeight(view, from, to, (h) => {
      const candidates = view.candidatesAt(h);
      if (candidates.length === 0) return undefined;
      let fewest = Number.POSITIVE_INFINITY;
      let picks: BlockId[] = [];
      for (const id of candidates) {
        const n = split.supporters(h, id);
        if (n < fewest) [fewest, picks] = [n, [id]];
        else if (n === fewest) picks.push(id);
      }
      return picks[Math.floor(random() * picks.length)];
    });
}
