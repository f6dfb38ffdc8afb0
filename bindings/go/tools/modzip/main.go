// Command modzip writes the zip of one module version the way the go command expects it from
// a module proxy (golang.org/x/mod/zip: every path under module@version/, the checks of the
// go command), and prints its h1: hash, the one go.sum will hold. Used by ../../dist.sh:
//
//	go run . MODULE_PATH VERSION DIR OUT.zip
//
// It lives in a module of its own so that golang.org/x/mod stays out of the binding's go.mod.
package main

import (
	"fmt"
	"os"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/zip"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: modzip MODULE_PATH VERSION DIR OUT.zip")
		os.Exit(2)
	}
	mv := module.Version{Path: os.Args[1], Version: os.Args[2]}
	dir, out := os.Args[3], os.Args[4]
	if err := write(mv, dir, out); err != nil {
		fmt.Fprintln(os.Stderr, "modzip:", err)
		os.Exit(1)
	}
	hash, err := dirhash.HashZip(out, dirhash.Hash1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "modzip:", err)
		os.Exit(1)
	}
	fmt.Println(hash)
}

func write(mv module.Version, dir, out string) error {
	// CheckDir reports files the zip would leave out (or refuse) instead of dropping them
	// silently: a stage with a symlink or a file under a nested module is a bug of dist.sh.
	cf, err := zip.CheckDir(dir)
	if err != nil {
		return err
	}
	if len(cf.Omitted) > 0 || len(cf.Invalid) > 0 {
		return fmt.Errorf("%s: omitted %v, invalid %v", dir, cf.Omitted, cf.Invalid)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := zip.CreateFromDir(f, mv, dir); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
