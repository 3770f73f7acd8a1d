/**
 * drivers/dax/device.c, v5.8: the device-dax fault handler for a PUD-sized fault.
 * dev_dax_huge_fault -> __dev_dax_pud_fault -> vmf_insert_pfn_pud (mm/huge_memory.c), entered
 * from handle_mm_fault under mmap_read_lock (mm/memory-pud.ts).
 *
 * Simplifications: the device instance is one range whose pfn the scenario gives (dev_dax->align
 * = PUD_SIZE, so the alignment and fallback checks pass; dax_pgoff_to_phys is the identity on
 * that range); check_vma and the dax_read_lock (SRCU) make no shared access that races here;
 * the page->mapping/index loop that follows a successful insert touches only device struct
 * pages nobody else reads in these scenarios, and is left out.
 */
import type { Program } from '../../../machine/effects.js';
import { PAGE_SIZE } from '../../../machine/mmu.js';
import { type Ctx, kfunc } from '../../kernel.js';
import { vmf_insert_pfn_pud } from '../../mm/huge_memory.js';
import { mmap_read_lock, mmap_read_unlock } from '../../mm/mmap_lock.js';
import { __handle_mm_fault, type HugeFault } from '../../mm/memory-pud.js';
import type { Vma } from '../../mm/mm_types.js';
import type { TablePtr } from '../../mm/pgtable.js';

export interface DevDax {
  /** first pfn of the device range backing the VMA (pgoff 0) */
  pfn: number;
}

/** __dev_dax_pud_fault: the pfn for the PUD-aligned address, inserted as a huge pud. */
const __dev_dax_pud_fault = kfunc(
  '__dev_dax_pud_fault',
  function* (k: Ctx, dev: DevDax, vma: Vma, address: number, pudp: TablePtr, write: boolean): Program<string> {
    const size = k.kernel.machine.geometry.size(3);
    const pud_addr = Math.floor(address / size) * size;
    if (pud_addr < vma.start || pud_addr + size > vma.end) return 'VM_FAULT_SIGBUS';
    const pgoff = (pud_addr - vma.start) / PAGE_SIZE; // linear_page_index
    const pfn = dev.pfn + pgoff; // dax_pgoff_to_phys, phys_to_pfn_t(PFN_DEV | PFN_MAP)
    return yield* vmf_insert_pfn_pud(k, vma, address, pudp, pfn, write);
  },
);

/** dev_dax_huge_fault(vmf, PE_SIZE_PUD) */
export const dev_dax_huge_fault = (dev: DevDax): HugeFault =>
  kfunc('dev_dax_huge_fault', function* (k: Ctx, vma: Vma, address: number, pudp: TablePtr, write: boolean): Program<string> {
    return yield* __dev_dax_pud_fault(k, dev, vma, address, pudp, write);
  });

/**
 * A user thread touching the device-dax mapping: the access goes through the TLB and the
 * hardware walker; if that finds no translation, the page fault runs handle_mm_fault under
 * mmap_read_lock (do_user_addr_fault: the VMA lookup is not a step here).
 */
export const dev_dax_user_touch = kfunc('dev_dax_user_touch', function* (k: Ctx, dev: DevDax, vma: Vma, address: number, write: boolean): Program<string> {
  const frame = (yield { op: 'user_access', vaddr: address, write }) as number;
  if (frame >= 0) return 'mapped';
  yield* mmap_read_lock(k);
  const ret = yield* __handle_mm_fault(k, vma, address, write, dev_dax_huge_fault(dev));
  yield* mmap_read_unlock(k);
  return ret;
});
