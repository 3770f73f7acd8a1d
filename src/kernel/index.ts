/**
 * The model's kernel as one module, the `mmrace/kernel` entry point (also re-exported by
 * `mmrace`): every kernel function, lock, page-table, refcount and allocator helper the built-in
 * paths are written with, plus the machine's effects and MMU constants. A built-in path file
 * (src/scenarios/) imports the kernel only from here, so whatever a built-in path uses, a user's
 * path can use too; test/surface.test.ts keeps it so (a new module under src/kernel/ gets its
 * line here).
 */
export * from '../machine/effects.js';
export * from '../machine/mmu.js';
export * from './arch/arch.js';
export * from './arch/arm64.js';
export * from './arch/common.js';
export * from './arch/index.js';
export * from './arch/powerpc.js';
export * from './arch/x86_32_pae.js';
export * from './arch/x86_64.js';
export * from './boot.js';
export * from './drivers/dax/device.js';
export * from './guards.js';
export * from './introspect.js';
export * from './kernel.js';
export * from './mm/filemap.js';
export * from './mm/gup.js';
export * from './mm/hmm.js';
export * from './mm/huge_memory.js';
export * from './mm/khugepaged.js';
export * from './mm/madvise-pud.js';
export * from './mm/madvise.js';
export * from './mm/memory-pud.js';
export * from './mm/memory.js';
export * from './mm/migrate.js';
export * from './mm/mincore.js';
export * from './mm/mm.js';
export * from './mm/mm_types.js';
export * from './mm/mmap.js';
export * from './mm/mmap_lock.js';
export * from './mm/mmu_gather.js';
export * from './mm/page-writeback.js';
export * from './mm/page_alloc.js';
export * from './mm/page_io.js';
export * from './mm/pagewalk.js';
export * from './mm/pgtable-generic.js';
export * from './mm/pgtable.js';
export * from './mm/ptdump.js';
export * from './mm/rmap.js';
export * from './mm/swap.js';
export * from './mm/swap_state.js';
export * from './mm/swapfile.js';
export * from './mm/vma.js';
export * from './mm/vma_tree.js';
export * from './mm/vmscan.js';
export * from './patches.js';
export * from './snapshot.js';
export * from './sync/atomic.js';
export * from './sync/irqflags.js';
export * from './sync/rcu.js';
export * from './sync/refcount.js';
export * from './sync/rwsem.js';
export * from './sync/seqcount.js';
export * from './sync/spinlock.js';
