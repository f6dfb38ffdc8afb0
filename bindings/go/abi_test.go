//go:build tpc_shared

package tpc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The refusal of a library with another ABI, through the normal loading path: the test binary
// runs again with LD_LIBRARY_PATH pointing at a fake libtemporal_payload_codec.so.2, compiled
// here with gcc, whose tpc_abi_version returns 1. The loader picks it for the binary of a
// -tags tpc_shared build, which NEEDs libtemporal_payload_codec.so.2 (pkg-config's rpath is a
// RUNPATH, which LD_LIBRARY_PATH overrides), and the package's init must panic naming both
// versions before anything else is called. (By default the static library is linked in and
// nothing is loaded; TestCheckABI covers the message there.)
func TestABIRefusalOfAnotherLibrary(t *testing.T) {
	if os.Getenv("TPC_FAKE_ABI_CHILD") == "1" {
		t.Fatal("the package initialized against the fake ABI 1 library")
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Fatalf("gcc is needed to build the fake library: %v", err)
	}
	header, err := os.ReadFile(filepath.Join("..", "..", "include", "temporal_payload_codec.h"))
	if err != nil {
		t.Fatal(err)
	}
	// Every function of the header exists in the fake, so the loader resolves all the
	// binary's symbols whether it binds lazily or at once; only the two init may call are real.
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^[a-z].*?\b(tpc_\w+)\(`).FindAllStringSubmatch(string(header), -1) {
		names = append(names, m[1])
	}
	if len(names) != 25 {
		t.Fatalf("found %d functions in the header, want the 25 exports of ABI 2: %v", len(names), names)
	}
	var src strings.Builder
	src.WriteString("#include <stdint.h>\n#include <stdlib.h>\n")
	for _, name := range names {
		switch name {
		case "tpc_abi_version":
			src.WriteString("uint32_t tpc_abi_version(void) { return 1; }\n")
		case "tpc_version":
			src.WriteString("const char *tpc_version(void) { return \"0.1.0-fake\"; }\n")
		default:
			fmt.Fprintf(&src, "void %s(void) { abort(); }\n", name)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fake.c"), []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "libtemporal_payload_codec.so.2")
	if out, err := exec.Command(gcc, "-shared", "-fPIC", "-Wl,-soname,libtemporal_payload_codec.so.2",
		"-o", lib, filepath.Join(dir, "fake.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^TestABIRefusalOfAnotherLibrary$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+dir, "TPC_FAKE_ABI_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the test binary ran against the fake ABI 1 library:\n%s", out)
	}
	for _, want := range []string{
		"panic: tpc: C ABI mismatch",
		"libtemporal_payload_codec (version 0.1.0-fake) implements ABI 1",
		fmt.Sprintf("this Go package expects ABI %d", ABIVersion),
	} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("the refusal does not say %q:\n%s", want, out)
		}
	}
}
