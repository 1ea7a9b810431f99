/* An AVX instruction, which uniemu's CPU does not execute: the crash report says so. */
int main(void)
{
    __asm__ volatile("vaddps %%ymm1, %%ymm2, %%ymm0" ::: "xmm0");
    return 0;
}
