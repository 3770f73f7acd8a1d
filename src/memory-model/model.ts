/** A memory model as an engine sees it: a consistency predicate on (possibly partial) executions. */
import type { Execution } from './execution.js';

export interface ConsistencyModel {
  name: string;
  /** True when the execution satisfies every axiom. Engines that grow graphs event by event call
   *  it on partial graphs, so a model used that way must be prefix-closed. */
  consistent(x: Execution): boolean;
  /** The first axiom the execution violates, by its .cat name; undefined when consistent. */
  failedAxiom?(x: Execution): string | undefined;
  /** Flags (herd7's `flag ~empty ...`) a consistent execution raises: `data-race`, ... */
  flags?(x: Execution): string[];
}
