/* Fuzz targets' one entry point, shared by libFuzzer and our plain driver
 * (tests/fuzz/driver.c). */
#ifndef HF_FUZZ_H
#define HF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#endif
