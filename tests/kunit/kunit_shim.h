/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kunit_shim.h: the part of the KUnit API that lsi3108_test.c uses, for
 * kernels built without CONFIG_KUNIT (Debian's 6.1 and 6.12 are). Include it
 * through ktest.h, which picks the real <kunit/test.h> when the kernel has it.
 *
 * kunit_test_suite() becomes the module's init: loading the module runs every
 * case of every suite and prints KTAP to the kernel log, the way KUnit does:
 *
 *   KTAP version 1
 *   1..1
 *       KTAP version 1
 *       # Subtest: lsi3108
 *       1..19
 *       # lsi_test_pads: EXPECTATION FAILED at tests/kunit/lsi3108_test.c:250
 *       Expected lsi_pad_max_cmds(pad0) == 928, but
 *           lsi_pad_max_cmds(pad0) == 927 (0x39f)
 *           928 == 928 (0x3a0)
 *       not ok 9 lsi_test_pads
 *       ...
 *   # lsi3108: pass:18 fail:1 skip:0 total:19
 *   # Totals: pass:18 fail:1 skip:0 total:19
 *   not ok 1 lsi3108
 *
 * Each case runs in its own kthread, as in KUnit, so that a failed
 * KUNIT_ASSERT_*() or kunit_skip() ends the case at once (the thread exits);
 * kunit_kmalloc() and friends are freed when the case ends, whichever way.
 * A case that does not end within KSHIM_CASE_TIMEOUT_S (it hung, or oopsed and
 * took its thread with it) is "not ok"; its memory is left alone.
 *
 * Supported: struct kunit (priv), struct kunit_case, KUNIT_CASE(), struct
 * kunit_suite (name, suite_init/exit, init/exit, test_cases),
 * kunit_test_suite(s)(), KUNIT_{EXPECT,ASSERT}_{EQ,NE,LT,LE,GT,GE,PTR_EQ,
 * PTR_NE,TRUE,FALSE,NULL,NOT_NULL,NOT_ERR_OR_NULL,STREQ,STRNEQ}[_MSG](),
 * KUNIT_FAIL(), KUNIT_SUCCEED(), kunit_kmalloc_array(), kunit_kmalloc(),
 * kunit_kzalloc(), kunit_kcalloc(), kunit_kfree(), kunit_log(), kunit_info(),
 * kunit_warn(), kunit_err(), kunit_mark_skipped(), kunit_skip().
 * Not supported: parameterised cases, kunit resources and actions, static
 * stubs, debugfs results.
 */
#ifndef LSI3108_KUNIT_SHIM_H
#define LSI3108_KUNIT_SHIM_H

#include <linux/compiler.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#define KSHIM_CASE_TIMEOUT_S	60
#define KUNIT_STATUS_COMMENT_SIZE 256
#define KUNIT_SUBTEST_INDENT	"    "

enum kunit_status {
	KUNIT_SUCCESS,
	KUNIT_FAILURE,
	KUNIT_SKIPPED,
};

struct kunit_suite;

/* A running case. */
struct kunit {
	void *priv;

	/* private: the shim's */
	const char *name;
	const struct kunit_suite *suite;
	void (*run_case)(struct kunit *test);
	spinlock_t lock;		/* guards resources */
	struct list_head resources;	/* struct kshim_alloc */
	struct completion done;
	enum kunit_status status;
	bool init_ok;
	char status_comment[KUNIT_STATUS_COMMENT_SIZE];
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
};

#define KUNIT_CASE(test_name) { .run_case = test_name, .name = #test_name }

struct kunit_suite {
	const char name[256];
	int (*suite_init)(struct kunit_suite *suite);
	void (*suite_exit)(struct kunit_suite *suite);
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
};

/* ---- logging ---- */

#define kunit_info(test, fmt, ...) \
	pr_info(KUNIT_SUBTEST_INDENT "# %s: " fmt, (test)->name, ##__VA_ARGS__)
#define kunit_warn(test, fmt, ...) \
	pr_warn(KUNIT_SUBTEST_INDENT "# %s: " fmt, (test)->name, ##__VA_ARGS__)
#define kunit_err(test, fmt, ...) \
	pr_err(KUNIT_SUBTEST_INDENT "# %s: " fmt, (test)->name, ##__VA_ARGS__)

/* ---- memory that lives as long as the case ---- */

struct kshim_alloc {
	struct list_head node;
	void *ptr;
};

static inline void *kunit_kmalloc_array(struct kunit *test, size_t n,
					size_t size, gfp_t gfp)
{
	struct kshim_alloc *a = kmalloc(sizeof(*a), gfp & ~__GFP_ZERO);
	unsigned long flags;

	if (!a)
		return NULL;
	a->ptr = kmalloc_array(n, size, gfp);
	if (!a->ptr) {
		kfree(a);
		return NULL;
	}
	spin_lock_irqsave(&test->lock, flags);
	list_add(&a->node, &test->resources);
	spin_unlock_irqrestore(&test->lock, flags);
	return a->ptr;
}

static inline void *kunit_kmalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return kunit_kmalloc_array(test, 1, size, gfp);
}

static inline void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return kunit_kmalloc(test, size, gfp | __GFP_ZERO);
}

static inline void *kunit_kcalloc(struct kunit *test, size_t n, size_t size,
				  gfp_t gfp)
{
	return kunit_kmalloc_array(test, n, size, gfp | __GFP_ZERO);
}

static inline void kunit_kfree(struct kunit *test, const void *ptr)
{
	struct kshim_alloc *a, *found = NULL;
	unsigned long flags;

	if (!ptr)
		return;
	spin_lock_irqsave(&test->lock, flags);
	list_for_each_entry(a, &test->resources, node) {
		if (a->ptr == ptr) {
			list_del(&a->node);
			found = a;
			break;
		}
	}
	spin_unlock_irqrestore(&test->lock, flags);
	if (!found) {
		kunit_err(test, "%s: %p was not allocated by the test\n",
			  __func__, ptr);
		return;
	}
	kfree(found->ptr);
	kfree(found);
}

static inline void kshim_free_all(struct kunit *test)
{
	struct kshim_alloc *a, *tmp;

	list_for_each_entry_safe(a, tmp, &test->resources, node) {
		list_del(&a->node);
		kfree(a->ptr);
		kfree(a);
	}
}

/* ---- results ---- */

/* Ends the running case now (its kthread exits). */
static inline void __noreturn kshim_abort(struct kunit *test)
{
	kthread_complete_and_exit(&test->done, 0);
}

static inline __printf(2, 3)
void kunit_mark_skipped(struct kunit *test, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(test->status_comment, sizeof(test->status_comment), fmt,
		  args);
	va_end(args);
	if (test->status != KUNIT_FAILURE)
		test->status = KUNIT_SKIPPED;
}

#define kunit_skip(test, fmt, ...)					\
	do {								\
		struct kunit *__kt = (test);				\
		kunit_mark_skipped(__kt, fmt, ##__VA_ARGS__);		\
		kshim_abort(__kt);					\
	} while (0)

/*
 * The head of a failure report, what failed, the optional message, and the
 * end of the case for an assertion. Values are printed by the caller between
 * kshim_fail_begin() and kshim_fail_end().
 */
static inline void kshim_fail_begin(struct kunit *test, bool assertion,
				    const char *file, int line,
				    const char *what)
{
	test->status = KUNIT_FAILURE;
	pr_err(KUNIT_SUBTEST_INDENT "# %s: %s FAILED at %s:%d\n", test->name,
	       assertion ? "ASSERTION" : "EXPECTATION", file, line);
	pr_err(KUNIT_SUBTEST_INDENT "%s\n", what);
}

static inline __printf(3, 4)
void kshim_fail_end(struct kunit *test, bool assertion, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	if (fmt) {
		va_start(args, fmt);
		vaf.fmt = fmt;
		vaf.va = &args;
		pr_err(KUNIT_SUBTEST_INDENT "%pV\n", &vaf);
		va_end(args);
	}
	if (assertion)
		kshim_abort(test);
}

static inline void kshim_fail_int(const char *text, long long value)
{
	pr_err(KUNIT_SUBTEST_INDENT "    %s == %lld (0x%llx)\n", text, value,
	       (unsigned long long)value);
}

static inline bool kshim_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* ---- expectations and assertions ---- */

#define KSHIM_EXPECTATION false
#define KSHIM_ASSERTION true

#define KSHIM_BINARY(test, kind, left, op, right, fmt, ...)		\
	do {								\
		const typeof((left) + 0) __kl = (left);			\
		const typeof((right) + 0) __kr = (right);		\
		const bool __kk = (kind);				\
		struct kunit *__kt = (test);				\
									\
		if (!(__kl op __kr)) {					\
			kshim_fail_begin(__kt, __kk, __FILE__, __LINE__,\
					 "Expected " #left " " #op " "	\
					 #right ", but");		\
			kshim_fail_int(#left, (long long)__kl);		\
			kshim_fail_int(#right, (long long)__kr);	\
			kshim_fail_end(__kt, __kk, fmt, ##__VA_ARGS__);	\
		}							\
	} while (0)

#define KSHIM_PTR(test, kind, left, op, right, fmt, ...)		\
	do {								\
		const void *__kl = (left);				\
		const void *__kr = (right);				\
		const bool __kk = (kind);				\
		struct kunit *__kt = (test);				\
									\
		if (!(__kl op __kr)) {					\
			kshim_fail_begin(__kt, __kk, __FILE__, __LINE__,\
					 "Expected " #left " " #op " "	\
					 #right ", but");		\
			pr_err(KUNIT_SUBTEST_INDENT "    %s == %p\n",	\
			       #left, __kl);				\
			pr_err(KUNIT_SUBTEST_INDENT "    %s == %p\n",	\
			       #right, __kr);				\
			kshim_fail_end(__kt, __kk, fmt, ##__VA_ARGS__);	\
		}							\
	} while (0)

#define KSHIM_STR(test, kind, left, equal, right, fmt, ...)		\
	do {								\
		const char *__kl = (left);				\
		const char *__kr = (right);				\
		const bool __ke = (equal), __kk = (kind);		\
		struct kunit *__kt = (test);				\
									\
		if (kshim_streq(__kl, __kr) != __ke) {			\
			kshim_fail_begin(__kt, __kk, __FILE__, __LINE__,\
					 __ke ?				\
					 "Expected " #left " == " #right\
					 ", but" :			\
					 "Expected " #left " != " #right\
					 ", but");			\
			pr_err(KUNIT_SUBTEST_INDENT "    %s == \"%s\"\n",\
			       #left, __kl);				\
			pr_err(KUNIT_SUBTEST_INDENT "    %s == \"%s\"\n",\
			       #right, __kr);				\
			kshim_fail_end(__kt, __kk, fmt, ##__VA_ARGS__);	\
		}							\
	} while (0)

#define KSHIM_BOOL(test, kind, cond, want, fmt, ...)			\
	do {								\
		const bool __kc = (cond), __kw = (want), __kk = (kind);\
		struct kunit *__kt = (test);				\
									\
		if (__kc != __kw) {					\
			kshim_fail_begin(__kt, __kk, __FILE__, __LINE__,\
					 __kw ? "Expected " #cond	\
					 " to be true, but is false" :	\
					 "Expected " #cond		\
					 " to be false, but is true");	\
			kshim_fail_end(__kt, __kk, fmt, ##__VA_ARGS__);	\
		}							\
	} while (0)

#define KSHIM_NULL(test, kind, ptr, want_null, fmt, ...)		\
	do {								\
		const void *__kp = (ptr);				\
		const bool __kn = (want_null), __kk = (kind);		\
		struct kunit *__kt = (test);				\
									\
		if (!__kp != __kn) {					\
			kshim_fail_begin(__kt, __kk, __FILE__, __LINE__,\
					 __kn ?				\
					 "Expected " #ptr " is NULL, but" :\
					 "Expected " #ptr " is not NULL, but");\
			pr_err(KUNIT_SUBTEST_INDENT "    %s == %p\n",	\
			       #ptr, __kp);				\
			kshim_fail_end(__kt, __kk, fmt, ##__VA_ARGS__);	\
		}							\
	} while (0)

#define KSHIM_NOT_ERR_OR_NULL(test, kind, ptr, fmt, ...)		\
	do {								\
		const void *__kp = (ptr);				\
		const bool __kk = (kind);				\
		struct kunit *__kt = (test);				\
									\
		if (IS_ERR_OR_NULL(__kp)) {				\
			kshim_fail_begin(__kt, __kk, __FILE__, __LINE__,\
					 "Expected " #ptr		\
					 " is not error or NULL, but");\
			pr_err(KUNIT_SUBTEST_INDENT "    %s == %ld\n",	\
			       #ptr, PTR_ERR(__kp));			\
			kshim_fail_end(__kt, __kk, fmt, ##__VA_ARGS__);	\
		}							\
	} while (0)

#define KUNIT_SUCCEED(test) do { } while (0)

#define KUNIT_FAIL(test, fmt, ...)					\
	do {								\
		struct kunit *__kt = (test);				\
									\
		kshim_fail_begin(__kt, KSHIM_EXPECTATION, __FILE__,	\
				 __LINE__, "KUNIT_FAIL");		\
		kshim_fail_end(__kt, KSHIM_EXPECTATION, fmt,		\
			       ##__VA_ARGS__);				\
	} while (0)

#define KUNIT_EXPECT_EQ_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_EXPECTATION, l, ==, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_NE_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_EXPECTATION, l, !=, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_LT_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_EXPECTATION, l, <, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_LE_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_EXPECTATION, l, <=, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_GT_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_EXPECTATION, l, >, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_GE_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_EXPECTATION, l, >=, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_PTR_EQ_MSG(test, l, r, fmt, ...) \
	KSHIM_PTR(test, KSHIM_EXPECTATION, l, ==, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_PTR_NE_MSG(test, l, r, fmt, ...) \
	KSHIM_PTR(test, KSHIM_EXPECTATION, l, !=, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_STREQ_MSG(test, l, r, fmt, ...) \
	KSHIM_STR(test, KSHIM_EXPECTATION, l, true, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_STRNEQ_MSG(test, l, r, fmt, ...) \
	KSHIM_STR(test, KSHIM_EXPECTATION, l, false, r, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_TRUE_MSG(test, c, fmt, ...) \
	KSHIM_BOOL(test, KSHIM_EXPECTATION, c, true, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_FALSE_MSG(test, c, fmt, ...) \
	KSHIM_BOOL(test, KSHIM_EXPECTATION, c, false, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_NULL_MSG(test, p, fmt, ...) \
	KSHIM_NULL(test, KSHIM_EXPECTATION, p, true, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_NOT_NULL_MSG(test, p, fmt, ...) \
	KSHIM_NULL(test, KSHIM_EXPECTATION, p, false, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, p, fmt, ...) \
	KSHIM_NOT_ERR_OR_NULL(test, KSHIM_EXPECTATION, p, fmt, ##__VA_ARGS__)

#define KUNIT_ASSERT_EQ_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_ASSERTION, l, ==, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NE_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_ASSERTION, l, !=, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_LT_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_ASSERTION, l, <, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_LE_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_ASSERTION, l, <=, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_GT_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_ASSERTION, l, >, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_GE_MSG(test, l, r, fmt, ...) \
	KSHIM_BINARY(test, KSHIM_ASSERTION, l, >=, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_PTR_EQ_MSG(test, l, r, fmt, ...) \
	KSHIM_PTR(test, KSHIM_ASSERTION, l, ==, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_PTR_NE_MSG(test, l, r, fmt, ...) \
	KSHIM_PTR(test, KSHIM_ASSERTION, l, !=, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_STREQ_MSG(test, l, r, fmt, ...) \
	KSHIM_STR(test, KSHIM_ASSERTION, l, true, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_STRNEQ_MSG(test, l, r, fmt, ...) \
	KSHIM_STR(test, KSHIM_ASSERTION, l, false, r, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_TRUE_MSG(test, c, fmt, ...) \
	KSHIM_BOOL(test, KSHIM_ASSERTION, c, true, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_FALSE_MSG(test, c, fmt, ...) \
	KSHIM_BOOL(test, KSHIM_ASSERTION, c, false, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NULL_MSG(test, p, fmt, ...) \
	KSHIM_NULL(test, KSHIM_ASSERTION, p, true, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NOT_NULL_MSG(test, p, fmt, ...) \
	KSHIM_NULL(test, KSHIM_ASSERTION, p, false, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, p, fmt, ...) \
	KSHIM_NOT_ERR_OR_NULL(test, KSHIM_ASSERTION, p, fmt, ##__VA_ARGS__)

#define KUNIT_EXPECT_EQ(test, l, r) KUNIT_EXPECT_EQ_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_NE(test, l, r) KUNIT_EXPECT_NE_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_LT(test, l, r) KUNIT_EXPECT_LT_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_LE(test, l, r) KUNIT_EXPECT_LE_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_GT(test, l, r) KUNIT_EXPECT_GT_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_GE(test, l, r) KUNIT_EXPECT_GE_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_PTR_EQ(test, l, r) KUNIT_EXPECT_PTR_EQ_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_PTR_NE(test, l, r) KUNIT_EXPECT_PTR_NE_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_STREQ(test, l, r) KUNIT_EXPECT_STREQ_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_STRNEQ(test, l, r) KUNIT_EXPECT_STRNEQ_MSG(test, l, r, NULL)
#define KUNIT_EXPECT_TRUE(test, c) KUNIT_EXPECT_TRUE_MSG(test, c, NULL)
#define KUNIT_EXPECT_FALSE(test, c) KUNIT_EXPECT_FALSE_MSG(test, c, NULL)
#define KUNIT_EXPECT_NULL(test, p) KUNIT_EXPECT_NULL_MSG(test, p, NULL)
#define KUNIT_EXPECT_NOT_NULL(test, p) KUNIT_EXPECT_NOT_NULL_MSG(test, p, NULL)
#define KUNIT_EXPECT_NOT_ERR_OR_NULL(test, p) \
	KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, p, NULL)

#define KUNIT_ASSERT_EQ(test, l, r) KUNIT_ASSERT_EQ_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_NE(test, l, r) KUNIT_ASSERT_NE_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_LT(test, l, r) KUNIT_ASSERT_LT_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_LE(test, l, r) KUNIT_ASSERT_LE_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_GT(test, l, r) KUNIT_ASSERT_GT_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_GE(test, l, r) KUNIT_ASSERT_GE_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_PTR_EQ(test, l, r) KUNIT_ASSERT_PTR_EQ_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_PTR_NE(test, l, r) KUNIT_ASSERT_PTR_NE_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_STREQ(test, l, r) KUNIT_ASSERT_STREQ_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_STRNEQ(test, l, r) KUNIT_ASSERT_STRNEQ_MSG(test, l, r, NULL)
#define KUNIT_ASSERT_TRUE(test, c) KUNIT_ASSERT_TRUE_MSG(test, c, NULL)
#define KUNIT_ASSERT_FALSE(test, c) KUNIT_ASSERT_FALSE_MSG(test, c, NULL)
#define KUNIT_ASSERT_NULL(test, p) KUNIT_ASSERT_NULL_MSG(test, p, NULL)
#define KUNIT_ASSERT_NOT_NULL(test, p) KUNIT_ASSERT_NOT_NULL_MSG(test, p, NULL)
#define KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p) \
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, p, NULL)

/* ---- running the suites ---- */

static inline int kshim_case_thread(void *data)
{
	struct kunit *test = data;

	if (test->suite->init) {
		int ret = test->suite->init(test);

		if (ret) {
			kunit_err(test, "failed to initialize: %d\n", ret);
			test->status = KUNIT_FAILURE;
			kshim_abort(test);
		}
	}
	test->init_ok = true;
	test->run_case(test);
	kshim_abort(test);
}

/* Runs one case; returns its status. */
static inline enum kunit_status kshim_run_case(const struct kunit_suite *suite,
					       const struct kunit_case *c,
					       char *comment, size_t size)
{
	struct kunit *test = kzalloc(sizeof(*test), GFP_KERNEL);
	struct task_struct *task;
	enum kunit_status status;

	comment[0] = '\0';
	if (!test) {
		snprintf(comment, size, "out of memory");
		return KUNIT_FAILURE;
	}
	test->name = c->name;
	test->suite = suite;
	test->run_case = c->run_case;
	spin_lock_init(&test->lock);
	INIT_LIST_HEAD(&test->resources);
	init_completion(&test->done);
	test->status = KUNIT_SUCCESS;

	task = kthread_run(kshim_case_thread, test, "kunit_try_catch");
	if (IS_ERR(task)) {
		snprintf(comment, size, "cannot start its thread: %ld",
			 PTR_ERR(task));
		kfree(test);
		return KUNIT_FAILURE;
	}
	if (!wait_for_completion_timeout(&test->done,
					 KSHIM_CASE_TIMEOUT_S * HZ)) {
		/* The thread may still run (or died in an oops): leak. */
		kunit_err(test, "try timed out after %d s\n",
			  KSHIM_CASE_TIMEOUT_S);
		snprintf(comment, size, "timed out or crashed");
		return KUNIT_FAILURE;
	}
	if (test->init_ok && suite->exit)
		suite->exit(test);
	kshim_free_all(test);
	status = test->status;
	strscpy(comment, test->status_comment, size);
	kfree(test);
	return status;
}

#define KSHIM_OK(status) ((status) == KUNIT_FAILURE ? "not ok" : "ok")

/* Runs one suite, printed as subtest number n; returns its status. */
static inline enum kunit_status kshim_run_suite(struct kunit_suite *suite,
						int n)
{
	int counts[3] = { 0, 0, 0 };
	char comment[KUNIT_STATUS_COMMENT_SIZE];
	enum kunit_status status = KUNIT_SUCCESS, s;
	struct kunit_case *c;
	int cases = 0, i = 0, ret = 0;

	for (c = suite->test_cases; c && c->run_case; c++)
		cases++;
	pr_info(KUNIT_SUBTEST_INDENT "KTAP version 1\n");
	pr_info(KUNIT_SUBTEST_INDENT "# Subtest: %s\n", suite->name);
	pr_info(KUNIT_SUBTEST_INDENT "1..%d\n", cases);
	if (suite->suite_init)
		ret = suite->suite_init(suite);
	for (c = suite->test_cases; c && c->run_case; c++) {
		i++;
		if (ret) {
			s = KUNIT_FAILURE;
			snprintf(comment, sizeof(comment),
				 "suite_init failed: %d", ret);
		} else {
			s = kshim_run_case(suite, c, comment, sizeof(comment));
		}
		counts[s]++;
		if (s == KUNIT_FAILURE)
			status = KUNIT_FAILURE;
		if (s == KUNIT_SKIPPED)
			pr_info(KUNIT_SUBTEST_INDENT "ok %d %s # SKIP %s\n", i,
				c->name, comment);
		else if (comment[0])
			pr_info(KUNIT_SUBTEST_INDENT "%s %d %s # %s\n",
				KSHIM_OK(s), i, c->name, comment);
		else
			pr_info(KUNIT_SUBTEST_INDENT "%s %d %s\n", KSHIM_OK(s),
				i, c->name);
	}
	if (!ret && suite->suite_exit)
		suite->suite_exit(suite);
	pr_info("# %s: pass:%d fail:%d skip:%d total:%d\n", suite->name,
		counts[KUNIT_SUCCESS], counts[KUNIT_FAILURE],
		counts[KUNIT_SKIPPED], cases);
	pr_info("# Totals: pass:%d fail:%d skip:%d total:%d\n",
		counts[KUNIT_SUCCESS], counts[KUNIT_FAILURE],
		counts[KUNIT_SKIPPED], cases);
	if (cases && counts[KUNIT_SKIPPED] == cases)
		status = KUNIT_SKIPPED;
	if (status == KUNIT_SKIPPED)
		pr_info("ok %d %s # SKIP\n", n, suite->name);
	else
		pr_info("%s %d %s\n", KSHIM_OK(status), n, suite->name);
	return status;
}

static inline void kshim_run_suites(struct kunit_suite * const *suites,
				    int n)
{
	int i;

	pr_info("KTAP version 1\n");
	pr_info("1..%d\n", n);
	for (i = 0; i < n; i++)
		kshim_run_suite(suites[i], i + 1);
}

/* The suites of the module: defined by kunit_test_suites(). */
struct kshim_suite_set {
	struct kunit_suite * const *suites;
	int n;
};

static struct kshim_suite_set kshim_set;

/*
 * The module's init runs the suites; the module loads whatever the results
 * (as with KUnit): read them from the kernel log.
 */
static int __init __maybe_unused kshim_init(void)
{
	kshim_run_suites(kshim_set.suites, kshim_set.n);
	return 0;
}

static void __exit __maybe_unused kshim_exit(void)
{
}

#define kunit_test_suites(__suites...)					\
	static struct kunit_suite * const kshim_suites[] = { __suites };\
	static struct kshim_suite_set kshim_set = {			\
		.suites = kshim_suites,					\
		.n = ARRAY_SIZE(kshim_suites),				\
	};								\
	module_init(kshim_init);					\
	module_exit(kshim_exit)

#define kunit_test_suite(suite) kunit_test_suites(&(suite))

#endif /* LSI3108_KUNIT_SHIM_H */
