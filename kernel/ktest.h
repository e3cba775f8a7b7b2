/* In-kernel self-tests, run when named on the command line (ktest=a,b). */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

/* Run the self-tests named by ktest=; if any were named, report and halt
 * (pass only if all passed).  Returns if none were requested. */
void ktest_run_requested(void);

#endif
