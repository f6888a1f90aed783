/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ktest.h: what lsi3108_test.c is built on.
 *
 * With a kernel that has KUnit (CONFIG_KUNIT), the real <kunit/test.h>.
 * Without it (Debian's 6.1 and 6.12 kernels), kunit_shim.h next to this
 * file: loading lsi3108_test.ko runs the cases and prints KTAP to the kernel
 * log. Either way the code under test is lsi3108.ko's: the static inlines of
 * src/lsi3108.h, and the functions src/ exports for the suite
 * (into the namespace EXPORTED_FOR_KUNIT_TESTING).
 */
#ifndef LSI3108_KTEST_H
#define LSI3108_KTEST_H

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/test.h>
#else
#include "kunit_shim.h"
#endif

#endif /* LSI3108_KTEST_H */
