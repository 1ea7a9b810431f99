// Go's net package inside uniemu: a TCP echo server with four client goroutines, an
// HTTP server and client (net/http) on 127.0.0.1, UDP, and an abstract AF_UNIX socket.
// Prints only what does not depend on timing (results sorted, ports not shown).
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
)

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func tcpEcho() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Println("tcp listener port in range:", port >= 32768 && port <= 60999)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					io.WriteString(c, strings.ToUpper(line))
				}
			}(c)
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var got []string
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", ln.Addr().String())
			must(err)
			defer c.Close()
			r := bufio.NewReader(c)
			for k := 0; k < 3; k++ {
				fmt.Fprintf(c, "client %d line %d\n", i, k)
				line, err := r.ReadString('\n')
				must(err)
				mu.Lock()
				got = append(got, strings.TrimSpace(line))
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	ln.Close()
	sort.Strings(got)
	for _, g := range got {
		fmt.Println(" ", g)
	}
}

func httpServe() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s", r.URL.Query().Get("name"))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	for _, name := range []string{"uniemu", "go"} {
		resp, err := http.Get("http://" + ln.Addr().String() + "/hello?name=" + name)
		must(err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("http: %d %q\n", resp.StatusCode, body)
	}
	srv.Close()
}

func udp() {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	must(err)
	c, err := net.Dial("udp", pc.LocalAddr().String())
	must(err)
	c.Write([]byte("datagram"))
	buf := make([]byte, 64)
	n, from, err := pc.ReadFrom(buf)
	must(err)
	fmt.Printf("udp: %q from the client: %v\n", buf[:n], from.String() == c.LocalAddr().String())
	pc.WriteTo([]byte("reply"), from)
	n, err = c.Read(buf)
	must(err)
	fmt.Printf("udp: %q\n", buf[:n])
}

func unix() {
	// The host's abstract namespace is shared with other runs natively: our pid in the name.
	name := fmt.Sprintf("@gonet-uniemu-test-%d", os.Getpid())
	ln, err := net.Listen("unix", name)
	must(err)
	done := make(chan string)
	go func() {
		c, err := ln.Accept()
		must(err)
		b, _ := io.ReadAll(c)
		c.Close()
		done <- string(b)
	}()
	c, err := net.Dial("unix", name)
	must(err)
	io.WriteString(c, "over an abstract unix socket")
	c.Close()
	fmt.Println("unix:", <-done)
	ln.Close()
}

func main() {
	tcpEcho()
	httpServe()
	udp()
	unix()
	_, err := net.Dial("tcp", "127.0.0.1:1")
	fmt.Println("refused:", err != nil && strings.Contains(err.Error(), "connection refused"))
}
