// Command loadgen drives a codec server with decode requests over keep-alive connections and
// reports throughput, latency percentiles, status counts and the server's memory, as JSON.
//
// Each request carries N payloads of S bytes encoded by the project's codec (snappy, then
// AES-256-GCM), as the Web UI would send them. Of every 100 requests, 5 are malformed (bad
// JSON, bad base64, an unknown field, corrupt ciphertext, a wrong content type) and 1 is over
// the server's body limit. Closed loop (-rate 0): each connection sends as soon as it has its
// answer. Open loop (-rate R): requests are scheduled R per second and latency counts from the
// scheduled time, so a slow server is not hidden by the client backing off.
package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tpc "github.com/temporal-payload-codec/temporal-payload-codec/bindings/go"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

type body struct {
	kind        string
	contentType string
	data        []byte
}

type result struct {
	Server       string         `json:"server"`
	Mode         string         `json:"mode"`
	Conns        int            `json:"conns"`
	Rate         int            `json:"rate,omitempty"`
	Seconds      float64        `json:"seconds"`
	Requests     int            `json:"requests"`
	RPS          float64        `json:"rps"`
	P50Ms        float64        `json:"p50_ms"`
	P99Ms        float64        `json:"p99_ms"`
	MaxMs        float64        `json:"max_ms"`
	ValidP50Ms   float64        `json:"valid_p50_ms"`
	ValidP99Ms   float64        `json:"valid_p99_ms"`
	Status       map[string]int `json:"status"`
	Unexpected   int            `json:"unexpected"`
	Status5xx    int            `json:"status_5xx"`
	NetErrors    int            `json:"net_errors"`
	RSSStartKiB  int            `json:"rss_start_kib,omitempty"`
	RSSEndKiB    int            `json:"rss_end_kib,omitempty"`
	PeakRSSKiB   int            `json:"peak_rss_kib,omitempty"`
	RSSSamplesKB []int          `json:"rss_samples_kib,omitempty"`
	// CPU time (user + system) the server used per request over the measured part: what a
	// request costs, much less sensitive than throughput to other load on the machine.
	CPUUsPerRequest float64 `json:"cpu_us_per_request,omitempty"`
}

// cpuTicks reads a process's user + system CPU time from /proc/PID/stat, in clock ticks
// (USER_HZ, 100 a second on Linux).
func cpuTicks(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields after its end.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return utime + stime
}

// procKiB reads a "Name:   123 kB" line of /proc/PID/status.
func procKiB(pid int, name string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, name+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
	}
	return 0
}

// text makes compressible, JSON-like payload data of n bytes, as workflow inputs usually are.
func text(r *rand.Rand, n int) []byte {
	words := []string{"customer", "order", "items", "analytical", "engine", "punch", "cards", "tea", "quantity", "price"}
	var b bytes.Buffer
	b.WriteString(`{"data":"`)
	for b.Len() < n-2 {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteString(strconv.Itoa(r.IntN(100000)))
		b.WriteByte(' ')
	}
	out := b.Bytes()[:n-2]
	return append(out, '"', '}')
}

func bodies(keyHex string, count, size, oversized int) (valid body, bad []body, big body) {
	key, err := hex.DecodeString(keyHex)
	if err != nil || len(key) != 32 {
		log.Fatalln("TPC_KEY_HEX must be 64 hex characters")
	}
	codec, err := tpc.New(tpc.WithKey("demo-key", key), tpc.WithEncryptionKeyID("demo-key"))
	if err != nil {
		log.Fatalln(err)
	}
	defer codec.Close()
	r := rand.New(rand.NewPCG(1, 2))
	var plain []*commonpb.Payload
	for i := 0; i < count; i++ {
		plain = append(plain, &commonpb.Payload{
			Metadata: map[string][]byte{"encoding": []byte("json/plain")},
			Data:     text(r, size),
		})
	}
	enc, err := codec.Encode(plain)
	if err != nil {
		log.Fatalln(err)
	}
	data, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	if err != nil {
		log.Fatalln(err)
	}
	valid = body{"valid", "application/json", data}
	tampered := &commonpb.Payloads{Payloads: []*commonpb.Payload{{Metadata: enc[0].Metadata, Data: append([]byte{}, enc[0].Data...)}}}
	tampered.Payloads[0].Data[20] ^= 1
	tamperedJSON, _ := protojson.Marshal(tampered)
	bad = []body{
		{"truncated-json", "application/json", data[:len(data)/2]},
		{"bad-base64", "application/json", []byte(`{"payloads":[{"metadata":{"encoding":"!!!"},"data":"***"}]}`)},
		{"unknown-field", "application/json", []byte(`{"payloads":[],"bogus":1}`)},
		{"tampered-ciphertext", "application/json", tamperedJSON},
		{"wrong-content-type", "text/plain", data},
	}
	// Valid JSON all the way, so a server must count bytes to refuse it.
	pad := bytes.Repeat([]byte("A"), oversized)
	big = body{"oversized", "application/json", []byte(`{"payloads":[{"data":"` + string(pad) + `"}]}`)}
	return valid, bad, big
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8888/decode", "decode endpoint")
	name := flag.String("name", "server", "server name for the report")
	conns := flag.Int("conns", 64, "concurrent connections")
	duration := flag.Duration("duration", 10*time.Second, "measured time")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured time first")
	rate := flag.Int("rate", 0, "requests per second (0: closed loop, as fast as answers come)")
	count := flag.Int("payloads", 10, "payloads per request")
	size := flag.Int("size", 4096, "bytes per payload")
	oversized := flag.Int("oversized-bytes", 17<<20, "size of the oversized bodies")
	pid := flag.Int("pid", 0, "server process to sample memory of")
	namespace := flag.String("namespace", "default", "X-Namespace")
	flag.Parse()

	valid, bad, big := bodies(os.Getenv("TPC_KEY_HEX"), *count, *size, *oversized)
	pick := func(i int) body {
		switch m := i % 100; {
		case m == 50:
			return big
		case m%20 == 7: // 5 of 100: 7, 27, 47, 67, 87
			return bad[(i/20)%len(bad)]
		default:
			return valid
		}
	}
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        *conns,
			MaxIdleConnsPerHost: *conns,
			MaxConnsPerHost:     *conns,
			DisableCompression:  true,
			// Under tpc-codec-server's idle timeout (idle_timeout_ms, 5 s by default), as a
			// client of a server with one should be: a POST sent on a connection the server
			// is closing for idleness fails (Go retries only requests it can replay).
			IdleConnTimeout: 4 * time.Second,
		},
	}
	var next atomic.Int64
	var mu sync.Mutex
	res := result{Server: *name, Conns: *conns, Rate: *rate, Status: map[string]int{}, Mode: "closed-loop"}
	if *rate > 0 {
		res.Mode = "open-loop"
	}
	var all, validLat []time.Duration
	start := time.Now()
	measureFrom := start.Add(*warmup)
	end := measureFrom.Add(*duration)
	var schedule chan time.Time
	if *rate > 0 {
		schedule = make(chan time.Time, 1<<16)
		go func() {
			interval := time.Second / time.Duration(*rate)
			for t := start; t.Before(end); t = t.Add(interval) {
				if d := time.Until(t); d > 0 {
					time.Sleep(d)
				}
				schedule <- t
			}
			close(schedule)
		}()
	}
	samplerDone := make(chan struct{})
	cpuStart := make(chan int, 1)
	if *pid > 0 {
		go func() {
			time.Sleep(time.Until(measureFrom))
			cpuStart <- cpuTicks(*pid)
		}()
		go func() {
			for t := time.NewTicker(time.Second); ; {
				select {
				case <-t.C:
					if time.Now().After(measureFrom) {
						mu.Lock()
						res.RSSSamplesKB = append(res.RSSSamplesKB, procKiB(*pid, "VmRSS"))
						mu.Unlock()
					}
				case <-samplerDone:
					t.Stop()
					return
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for c := 0; c < *conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var sent time.Time
				if schedule != nil {
					t, ok := <-schedule
					if !ok {
						return
					}
					sent = t
					if d := time.Until(t); d > 0 {
						time.Sleep(d)
					}
				} else {
					sent = time.Now()
					if sent.After(end) {
						return
					}
				}
				b := pick(int(next.Add(1)))
				req, _ := http.NewRequest(http.MethodPost, *url, bytes.NewReader(b.data))
				req.Header.Set("Content-Type", b.contentType)
				req.Header.Set("X-Namespace", *namespace)
				resp, err := client.Do(req)
				code := 0
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					code = resp.StatusCode
				}
				lat := time.Since(sent)
				if sent.Before(measureFrom) {
					continue
				}
				mu.Lock()
				all = append(all, lat)
				if err != nil {
					res.NetErrors++
					if res.NetErrors <= 3 {
						log.Printf("%s request: %v", b.kind, err)
					}
				} else {
					res.Status[strconv.Itoa(code)]++
					if code >= 500 {
						res.Status5xx++
					}
					if (b.kind == "valid") != (code == 200) {
						res.Unexpected++
					}
				}
				if b.kind == "valid" {
					validLat = append(validLat, lat)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(samplerDone)
	elapsed := time.Since(measureFrom)
	if *rate == 0 {
		elapsed = *duration
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	sort.Slice(validLat, func(i, j int) bool { return validLat[i] < validLat[j] })
	res.Seconds = elapsed.Seconds()
	res.Requests = len(all)
	res.RPS = float64(len(all)) / elapsed.Seconds()
	res.P50Ms, res.P99Ms = percentile(all, 0.50), percentile(all, 0.99)
	if len(all) > 0 {
		res.MaxMs = float64(all[len(all)-1].Microseconds()) / 1000
	}
	res.ValidP50Ms, res.ValidP99Ms = percentile(validLat, 0.50), percentile(validLat, 0.99)
	if *pid > 0 {
		if n := len(res.RSSSamplesKB); n > 0 {
			res.RSSStartKiB, res.RSSEndKiB = res.RSSSamplesKB[0], res.RSSSamplesKB[n-1]
		}
		res.PeakRSSKiB = procKiB(*pid, "VmHWM")
		if len(all) > 0 {
			ticks := cpuTicks(*pid) - <-cpuStart
			res.CPUUsPerRequest = float64(ticks) * 1e4 / float64(len(all))
		}
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
