// goprog: a small deterministic Go program exercising the Go runtime
// (goroutines, channels, sync, timers, preemption, signal-based panics)
// for use as an emulator test. Output depends only on computed results,
// never on scheduling, timing, addresses or goroutine ids.
package main

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
)

type node struct{ val int }

// nilDeref dereferences a nil pointer; the runtime turns the SIGSEGV into
// a panic, which the deferred func recovers.
func nilDeref(p *node) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				msg = e.Error()
			} else {
				msg = fmt.Sprint(r)
			}
		}
	}()
	return fmt.Sprint(p.val)
}

// sumRange does CPU work: sum of (i*i mod 7919) for i in [lo, hi).
func sumRange(lo, hi uint64) uint64 {
	var s uint64
	for i := lo; i < hi; i++ {
		s += (i * i) % 7919
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
	}
	return s
}

func main() {
	// 1. CPU work across 8 goroutines, results via buffered channel.
	const workers = 8
	const chunk = 5_000_000
	type res struct {
		id  int
		sum uint64
	}
	results := make(chan res, workers)
	for w := 0; w < workers; w++ {
		go func(id int) {
			results <- res{id, sumRange(uint64(id)*chunk, uint64(id+1)*chunk)}
		}(w)
	}
	sums := make([]uint64, workers)
	for i := 0; i < workers; i++ {
		r := <-results
		sums[r.id] = r.sum
	}
	var total uint64
	for i, s := range sums {
		fmt.Printf("worker %d: %016x\n", i, s)
		total ^= s
	}
	fmt.Printf("xor of sums: %016x\n", total)

	// 2. Mutex + WaitGroup: 16 goroutines each increment a shared counter 1000 times.
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	seen := map[int]bool{}
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			mu.Lock()
			seen[id] = true
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	fmt.Printf("mutex counter: %d, goroutines done: %d\n", counter, len(seen))

	// 3. Unbuffered channel pipeline: producer -> squarer -> main.
	src := make(chan int)
	sq := make(chan int)
	go func() {
		for i := 1; i <= 100; i++ {
			src <- i
		}
		close(src)
	}()
	go func() {
		for v := range src {
			sq <- v * v
		}
		close(sq)
	}()
	sumSq := 0
	for v := range sq {
		sumSq += v
	}
	fmt.Printf("pipeline sum of squares 1..100: %d\n", sumSq)

	// 4. time.Sleep and select with time.After.
	done := make(chan string)
	go func() {
		time.Sleep(10 * time.Millisecond)
		done <- "slept"
	}()
	select {
	case s := <-done:
		fmt.Printf("select: got %q\n", s)
	case <-time.After(5 * time.Second):
		fmt.Println("select: timeout (unexpected)")
	}
	never := make(chan int)
	select {
	case <-never:
		fmt.Println("select: never channel fired (unexpected)")
	case <-time.After(10 * time.Millisecond):
		fmt.Println("select: time.After fired")
	}
	start := time.Now()
	time.Sleep(10 * time.Millisecond)
	if time.Since(start) >= 10*time.Millisecond {
		fmt.Println("sleep: at least 10ms elapsed")
	} else {
		fmt.Println("sleep: too short (unexpected)")
	}

	// 5. Recovered nil-pointer dereference panic (SIGSEGV -> panic -> recover).
	fmt.Printf("recovered: %s\n", nilDeref(nil))
	// Also inside a goroutine.
	msgc := make(chan string)
	go func() { msgc <- nilDeref(nil) }()
	fmt.Printf("recovered in goroutine: %s\n", <-msgc)

	// 6. Fan-in of many goroutines with collected, sorted results.
	out := make(chan int, 4)
	var wg2 sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg2.Add(1)
		go func(n int) {
			defer wg2.Done()
			out <- n * 3
		}(i)
	}
	go func() { wg2.Wait(); close(out) }()
	var vals []int
	for v := range out {
		vals = append(vals, v)
	}
	sort.Ints(vals)
	fmt.Printf("fan-in: n=%d first=%d last=%d\n", len(vals), vals[0], vals[len(vals)-1])

	fmt.Println("goprog: OK")
	os.Exit(0)
}
