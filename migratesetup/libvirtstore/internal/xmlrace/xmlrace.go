//go:build cgo

package xmlrace

/*
#cgo LDFLAGS: -ldl -lpthread
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

static void *sfkvm_libxml2_for_race(void) {
	static const char *names[] = {"libxml2.so.2", "libxml2.so.16"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		void *h = dlopen(names[i], RTLD_NOW | RTLD_NOLOAD);
		if (h != NULL)
			return h;
	}
	return NULL;
}

#include <stdlib.h>
#include <unistd.h>

typedef void (*sfkvm_free_fn)(void *);
typedef void *(*sfkvm_malloc_fn)(size_t);
typedef void *(*sfkvm_realloc_fn)(void *, size_t);
typedef char *(*sfkvm_strdup_fn)(const char *);

static volatile int sfkvm_race_go;
static int (*sfkvm_race_fn)(void);
static sfkvm_malloc_fn sfkvm_orig_malloc;

// sfkvm_slow_malloc is libxml2's allocator while the threads race: each
// allocation first waits a random 0 to 1 ms, so that the threads are
// inside the unlocked initialisation at once and interleave there (one
// thread builds the table, another replaces it, a third registers twice).
// Without it, on a machine with few cores, one thread is usually done
// before the next begins, and the race shows in a few runs in a thousand.
static __thread unsigned sfkvm_seed;

static void *sfkvm_slow_malloc(size_t n) {
	if (sfkvm_seed == 0)
		sfkvm_seed = (unsigned)(size_t)&sfkvm_seed | 1;
	usleep(rand_r(&sfkvm_seed) % 1000);
	return sfkvm_orig_malloc(n);
}

static void *sfkvm_race_thread(void *arg) {
	(void)arg;
	while (!__atomic_load_n(&sfkvm_race_go, __ATOMIC_ACQUIRE))
		;
	sfkvm_race_fn();
	return NULL;
}

// sfkvm_race_relaxng_init calls xmlRelaxNGInitTypes from n threads
// released at the same instant, as n first validations would.
static int sfkvm_race_relaxng_init(int n) {
	void *h = sfkvm_libxml2_for_race();
	if (h == NULL)
		return -1;
	sfkvm_race_fn = (int (*)(void))dlsym(h, "xmlRelaxNGInitTypes");
	int (*mem_get)(sfkvm_free_fn *, sfkvm_malloc_fn *, sfkvm_realloc_fn *, sfkvm_strdup_fn *) =
		(int (*)(sfkvm_free_fn *, sfkvm_malloc_fn *, sfkvm_realloc_fn *, sfkvm_strdup_fn *))dlsym(h, "xmlMemGet");
	int (*mem_setup)(sfkvm_free_fn, sfkvm_malloc_fn, sfkvm_realloc_fn, sfkvm_strdup_fn) =
		(int (*)(sfkvm_free_fn, sfkvm_malloc_fn, sfkvm_realloc_fn, sfkvm_strdup_fn))dlsym(h, "xmlMemSetup");
	if (sfkvm_race_fn == NULL || mem_get == NULL || mem_setup == NULL)
		return -2;
	sfkvm_free_fn f;
	sfkvm_realloc_fn r;
	sfkvm_strdup_fn d;
	if (mem_get(&f, &sfkvm_orig_malloc, &r, &d) != 0 || mem_setup(f, sfkvm_slow_malloc, r, d) != 0)
		return -3;
	pthread_t t[64];
	if (n > 64)
		n = 64;
	int started = 0;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, sfkvm_race_thread, NULL) == 0)
			started++;
	__atomic_store_n(&sfkvm_race_go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	mem_setup(f, sfkvm_orig_malloc, r, d);
	return started;
}
*/
import "C"

// RelaxNGInitTypes calls libxml2's xmlRelaxNGInitTypes from n threads (at
// most 64) released at the same instant, as n first validations would,
// and returns how many threads ran, or a negative number when libxml2 is
// not loaded in the process (load libvirt first).
func RelaxNGInitTypes(n int) int { return int(C.sfkvm_race_relaxng_init(C.int(n))) }
