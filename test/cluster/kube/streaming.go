// kubelet-streaming: the streaming half of a real node, as a bench baseline for our agent's kubelet API.
//
// A real node serves `kubectl exec` and `kubectl port-forward` in two steps: the kubelet's HTTPS server
// takes the API server's request on /exec/{ns}/{pod}/{container} or /portForward/{ns}/{pod}, asks the
// container runtime for a streaming URL (CRI Exec/PortForward) and proxies the upgraded connection there;
// the runtime (containerd, CRI-O) answers that URL with the k8s.io/cri-streaming server. This program
// runs both halves with the upstream code: the kubelet's handler logic (server.go getExec/getPortForward
// in k8s.io/kubernetes/pkg/kubelet/server, copied here without authn/authz and pod lookup: an upgrade-aware
// proxy for SPDY, the WebSocket v5 → SPDY stream translator and the WebSocket tunnel for port-forward,
// from k8s.io/apimachinery and k8s.io/apiserver), and streaming.NewServer from k8s.io/cri-streaming on
// a loopback HTTP listener, as containerd's default stream server. Its Runtime runs exec commands as
// local processes (no TTY) and port-forwards to 127.0.0.1:<port>, as containerd does inside a pod's
// network namespace. It is a loopback bench fixture: the API server must present a client certificate
// from --client-ca-file, nothing else is checked.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	"k8s.io/apimachinery/pkg/util/proxy"
	translator "k8s.io/apiserver/pkg/util/proxy"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
	remotecommandserver "k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

// localRuntime is the container runtime behind the CRI streaming server: the "container" is this host.
type localRuntime struct{}

func (localRuntime) Exec(ctx context.Context, _ string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, _ <-chan remotecommandserver.TerminalSize) error {
	if tty {
		return errors.New("kubelet-streaming: TTY sessions are not supported by this baseline")
	}
	if len(cmd) == 0 {
		return errors.New("kubelet-streaming: empty command")
	}
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	if in != nil {
		c.Stdin = in
	}
	if out != nil {
		c.Stdout = out
	}
	if errOut != nil {
		c.Stderr = errOut
	}
	return c.Run() // *exec.ExitError satisfies k8s.io/utils/exec.ExitError: a non-zero exit becomes its status
}

func (localRuntime) Attach(context.Context, string, io.Reader, io.WriteCloser, io.WriteCloser, bool, <-chan remotecommandserver.TerminalSize) error {
	return errors.New("kubelet-streaming: attach is not supported by this baseline")
}

// PortForward copies both ways between the stream and 127.0.0.1:port, as containerd's
// sandbox_portforward_linux.go does, except that the end of the port's output half-closes the stream at
// once (containerd waits up to 1 s for the other direction first, which would time its own timer).
func (localRuntime) PortForward(ctx context.Context, _ string, port int32, stream io.ReadWriteCloser) error {
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	defer conn.Close()
	toClient := make(chan error, 1)
	toPort := make(chan error, 1)
	go func() {
		_, err := io.Copy(stream, conn)
		_ = stream.Close() // SPDY: FIN on our side of the data stream
		toClient <- err
	}()
	go func() {
		_, err := io.Copy(conn, stream)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		toPort <- err
	}()
	select {
	case err = <-toClient:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-toPort:
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
	return err
}

type responder struct{}

func (responder) Error(w http.ResponseWriter, _ *http.Request, err error) {
	fmt.Fprintln(os.Stderr, "kubelet-streaming: proxy error:", err)
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

// logRequest records which protocol the API server chose toward this node (the bench reports it).
func logRequest(kind string, r *http.Request) {
	transport := "spdy"
	protocols := r.Header.Values("X-Stream-Protocol-Version")
	if wsstream.IsWebSocketRequest(r) {
		transport = "websocket"
		protocols = r.Header.Values("Sec-WebSocket-Protocol")
	}
	fmt.Fprintf(os.Stderr, "kubelet-streaming: request kind=%s transport=%s protocols=%q path=%s\n", kind, transport, protocols, r.URL.Path)
}

func runKubeletStreaming(args []string) int {
	fs := flag.NewFlagSet("kubelet-streaming", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "kubelet HTTPS address (port 0: any free port, printed on stdout)")
	certFile := fs.String("tls-cert-file", "", "serving certificate (required)")
	keyFile := fs.String("tls-private-key-file", "", "serving key (required)")
	clientCA := fs.String("client-ca-file", "", "CA of the API server's kubelet client certificate (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *certFile == "" || *keyFile == "" || *clientCA == "" {
		fmt.Fprintln(os.Stderr, "kubelet-streaming: --tls-cert-file, --tls-private-key-file and --client-ca-file are required")
		return 2
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-streaming:", err)
		return 2
	}
	caPem, err := os.ReadFile(*clientCA)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-streaming:", err)
		return 2
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPem) {
		fmt.Fprintln(os.Stderr, "kubelet-streaming: no certificate in", *clientCA)
		return 2
	}

	// The runtime's stream server: plain HTTP on loopback, as containerd's default (enable_tls_streaming=false).
	criLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-streaming:", err)
		return 1
	}
	cfg := streaming.DefaultConfig
	cfg.Addr = criLn.Addr().String()
	cfg.BaseURL = &url.URL{Scheme: "http", Host: cfg.Addr, Path: "/"}
	cri, err := streaming.NewServer(cfg, localRuntime{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-streaming:", err)
		return 1
	}
	go func() { _ = (&http.Server{Handler: cri}).Serve(criLn) }()

	// The kubelet's side: getExec and getPortForward of k8s.io/kubernetes/pkg/kubelet/server/server.go.
	exec := func(w http.ResponseWriter, r *http.Request) {
		logRequest("exec", r)
		streamOpts, err := remotecommandserver.NewOptions(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := cri.GetExec(&runtimeapi.ExecRequest{
			ContainerId: r.PathValue("podNamespace") + "/" + r.PathValue("podID") + "/" + r.PathValue("containerName"),
			Cmd:         r.URL.Query()["command"],
			Tty:         streamOpts.TTY,
			Stdin:       streamOpts.Stdin,
			Stdout:      streamOpts.Stdout,
			Stderr:      streamOpts.Stderr,
		})
		if err != nil {
			streaming.WriteError(err, w)
			return
		}
		location, _ := url.Parse(resp.Url)
		var handler http.Handler = proxy.NewUpgradeAwareHandler(location, nil, false, true, responder{})
		if wsstream.IsWebSocketRequestWithStreamCloseProtocol(r) {
			handler = translator.NewStreamTranslatorHandler(location, nil, 0, translator.Options{
				Stdin: streamOpts.Stdin, Stdout: streamOpts.Stdout, Stderr: streamOpts.Stderr, Tty: streamOpts.TTY,
			})
		}
		handler.ServeHTTP(w, r)
	}
	portForward := func(w http.ResponseWriter, r *http.Request) {
		logRequest("portforward", r)
		tunnel := wsstream.IsWebSocketRequestWithTunnelingProtocol(r)
		opts := &portforward.V4Options{}
		if !tunnel {
			var err error
			if opts, err = portforward.NewV4Options(r); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		resp, err := cri.GetPortForward(&runtimeapi.PortForwardRequest{
			PodSandboxId: r.PathValue("podNamespace") + "/" + r.PathValue("podID"),
			Port:         opts.Ports,
		})
		if err != nil {
			streaming.WriteError(err, w)
			return
		}
		location, _ := url.Parse(resp.Url)
		var handler http.Handler = proxy.NewUpgradeAwareHandler(location, nil, false, true, responder{})
		if tunnel {
			handler = translator.NewTunnelingHandler(handler)
		}
		handler.ServeHTTP(w, r)
	}
	mux := http.NewServeMux()
	for _, p := range []string{"/exec/{podNamespace}/{podID}/{containerName}", "/exec/{podNamespace}/{podID}/{uid}/{containerName}"} {
		mux.HandleFunc(p, exec)
	}
	for _, p := range []string{"/portForward/{podNamespace}/{podID}", "/portForward/{podNamespace}/{podID}/{uid}"} {
		mux.HandleFunc(p, portForward)
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-streaming:", err)
		return 1
	}
	srv := &http.Server{
		Handler:   mux,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12},
	}
	fmt.Printf("listening %s\n", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-done:
		fmt.Fprintln(os.Stderr, "kubelet-streaming:", err)
		return 1
	case <-sig:
		_ = srv.Close()
		return 0
	}
}
