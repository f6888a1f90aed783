/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ktest.h: what lsi3108_test.c is built on.
 *
 * With a kernel that has KUnit (CONFIG_KUNIT), the real <kunit/test.h>; the
 * code under test is lsi3108.ko's (proto.c exports it with
 * EXPORT_SYMBOL_IF_KUNIT).
 *
 * Without KUnit (Debian's kernels), kunit_shim.h: loading lsi3108_test.ko
 * runs the cases and prints KTAP to the kernel log. proto.c exports nothing
 * then, so the test module carries its own copy of the code under test.
 */
#ifndef LSI3108_KTEST_H
#define LSI3108_KTEST_H

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/test.h>
#else
#include "kunit_shim.h"
#include "proto.c"
#endif

#endif /* LSI3108_KTEST_H */
