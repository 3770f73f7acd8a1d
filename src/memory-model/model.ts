/**
 * The explorer's only view of a memory model (GenMC's ConsistencyChecker, narrowed): whether an
 * execution graph is consistent, and which flags (herd7's `Flag data-race`, ...) a complete one
 * raises. The graph explorer calls `consistent` on every partial graph it builds, so a model
 * must be prefix-closed: a graph restricted to a prefix of po ∪ rf (every kept read keeps the
 * write it reads) of a consistent graph is consistent. Acyclicity and emptiness axioms over po,
 * rf, co, fr and relations built from them by union, sequence and intersection with po are
 * (SC, coherence, atomicity, LKMM's happens-before and propagation), as long as they do not
 * depend on events that come later in po (an axiom that needs an unlock after every lock, or
 * an rcu_read_unlock after every rcu_read_lock, holds only of complete graphs; see `complete`).
 */
import type { Execution } from './execution.js';

export interface ConsistencyModel {
  name: string;
  /** Every axiom of the model holds. Called on partial graphs: must be prefix-closed. */
  consistent(x: Execution): boolean;
  /** The first axiom that fails, by its .cat name, for statistics; undefined when consistent. */
  violation?(x: Execution): string | undefined;
  /** Axioms that hold only of complete graphs (unmatched locks, ...); checked once at the end. */
  complete?(x: Execution): boolean;
  /** Flags a complete consistent execution raises (`data-race`, `mixed-accesses`). */
  flags?(x: Execution): string[];
}
