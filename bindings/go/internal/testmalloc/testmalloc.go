// Package testmalloc reads the C heap's bookkeeping for the binding's tests, which cannot use
// cgo themselves (Go allows no import "C" in _test.go files): a test of what the binding
// frees on the C side watches how many bytes malloc has handed out. Only tests import it.
package testmalloc

// #include <malloc.h>
import "C"

// InUse is the bytes malloc has handed out and not had back, all arenas and mmapped chunks
// counted (glibc's mallinfo2: uordblks + hblkhd). Chunks a thread's tcache keeps count as in
// use.
func InUse() uint64 {
	m := C.mallinfo2()
	return uint64(m.uordblks) + uint64(m.hblkhd)
}
