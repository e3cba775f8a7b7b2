/* In-kernel self-tests, run when named on the command line (ktest=a,b). */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

/* Run the self-tests named by ktest=; if any were named, report and halt
 * (pass only if all passed).  Returns if none were requested. */
void ktest_run_requested(void);

/* For the tests: fail the current one (return -1) if c does not hold. */
#define CHECK(c) \
    do { if (!(c)) { kprintf("ktest: check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); return -1; } } while (0)

/* Tests in their own files. */
int ktest_iommu(void);
int ktest_irq(void);
int ktest_virtio_net(void);
int ktest_nvme(void);

#endif
