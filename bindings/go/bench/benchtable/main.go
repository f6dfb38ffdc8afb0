// Command benchtable turns the output of BenchmarkCodecs (any number of rounds, read from
// stdin) into the markdown table of BENCHMARKS.md: medians per benchmark, ratios between
// codecs measured in the same run, and each target checked against the numbers.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
)

var line = regexp.MustCompile(`^BenchmarkCodecs/(\S+)/(encode|decode)/(\w+)-\d+\s+\d+\s+([\d.]+) ns/op.*?\s([\d.]+) B/op\s+([\d.]+) allocs/op`)

type sample struct{ ns, bytes, allocs []float64 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func us(ns float64) string { return fmt.Sprintf("%.1f µs", ns/1000) }

func main() {
	samples := map[string]*sample{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		key := m[1] + "/" + m[2] + "/" + m[3]
		s := samples[key]
		if s == nil {
			s = &sample{}
			samples[key] = s
		}
		for i, dst := range []*[]float64{&s.ns, &s.bytes, &s.allocs} {
			v, err := strconv.ParseFloat(m[4+i], 64)
			if err != nil {
				panic(err)
			}
			*dst = append(*dst, v)
		}
	}
	batches := []struct{ name, label string }{
		{"100x200", "100 x 200 B"}, {"16x4096", "16 x 4 KiB"}, {"4x65536", "4 x 64 KiB"}, {"1x1048576", "1 x 1 MiB"},
	}
	var missed []string
	for _, op := range []string{"encode", "decode"} {
		fmt.Printf("\n### %s\n\n", op)
		fmt.Println("| batch | tpc | (a) golang/snappy, pooled | tpc / (a) | (a') golang/snappy, per payload | tpc / (a') | (b) SDK zlib | (b) / tpc | allocs/op tpc · (a) · (a') · (b) | B/op tpc · (a) · (a') · (b) | rounds |")
		fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
		for _, b := range batches {
			get := func(codec string) *sample {
				s := samples[b.name+"/"+op+"/"+codec]
				if s == nil {
					fmt.Fprintf(os.Stderr, "missing benchmark %s/%s/%s\n", b.name, op, codec)
					os.Exit(1)
				}
				return s
			}
			t, a, n, z := get("tpc"), get("gosnappy"), get("gosnappynaive"), get("sdkzlib")
			tn, an, nn, zn := median(t.ns), median(a.ns), median(n.ns), median(z.ns)
			fmt.Printf("| %s | %s | %s | %.2fx | %s | %.2fx | %s | %.1fx | %.0f · %.0f · %.0f · %.0f | %.0f · %.0f · %.0f · %.0f | %d |\n",
				b.label, us(tn), us(an), tn/an, us(nn), tn/nn, us(zn), zn/tn,
				median(t.allocs), median(a.allocs), median(n.allocs), median(z.allocs),
				median(t.bytes), median(a.bytes), median(n.bytes), median(z.bytes), len(t.ns))
			if b.name == "100x200" && tn/an > 1.5 {
				missed = append(missed, fmt.Sprintf("%s %s: within 1.5x of (a) missed (tpc/(a) = %.2fx)", op, b.label, tn/an))
			}
			if b.name != "100x200" && tn >= an {
				missed = append(missed, fmt.Sprintf("%s %s: faster than (a) missed (tpc/(a) = %.2fx)", op, b.label, tn/an))
			}
			if zn/tn < 5 {
				missed = append(missed, fmt.Sprintf("%s %s: 5x faster than (b) missed ((b)/tpc = %.1fx)", op, b.label, zn/tn))
			}
		}
	}
	fmt.Println()
	if len(missed) == 0 {
		fmt.Println("Targets (against (a); faster than (a) from 4 KiB up, within 1.5x of (a) at 200 B, at least 5x faster than (b)): all met in this run.")
		return
	}
	fmt.Println("Targets missed in this run:")
	for _, m := range missed {
		fmt.Println("- " + m)
	}
}
