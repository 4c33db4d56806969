// Command pulumi-language-python is this project's Python language host for the real Pulumi CLI.
//
// The published Go module of Pulumi's own Python language host is not served to the machines this
// project is built on, so this small host takes its place. It runs the program exactly as the real
// host does: the `pulumi-language-python-exec` script of the same sdk/v3 release (found next to
// this binary), in the virtual environment the project names, through the SDK's own Python
// toolchain package (sdk/v3/python/toolchain), with the config and secret keys in the environment.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// executorName is the SDK's entry script, shipped next to the host.
const executorName = "pulumi-language-python-exec"

// engineCheckInterval is how often the host makes sure the engine is still there.
const engineCheckInterval = 2 * time.Second

// bailExitCode is what the SDK exits with after it has shown the user an actionable message.
const bailExitCode = 32

func main() {
	executor := flag.String("use-executor", "", "run this script instead of the executor next to the host")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.String("tracing", "", "accepted for compatibility; tracing is not supported")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	script, err := findExecutor(*executor)
	if err != nil {
		fail(err)
	}
	engine := ""
	if flag.NArg() > 0 {
		engine = flag.Arg(0)
	}
	if err := serve(script, engine); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
	os.Exit(1)
}

// findExecutor returns the given script, or the one installed next to this binary.
func findExecutor(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot locate this executable: %w", err)
	}
	script := filepath.Join(filepath.Dir(self), executorName)
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("missing executor %s (install it next to the language host): %w", script, err)
	}
	return script, nil
}

// serve starts the gRPC server, prints its port for the engine and blocks until it stops. The host
// and the program it runs stop on SIGINT/SIGTERM and when the engine stops answering its health
// check (the CLI was killed): no language host or program outlives the CLI by more than a few seconds.
func serve(script, engine string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cancel := make(chan bool)
	go func() { <-ctx.Done(); close(cancel) }()
	if engine != "" {
		if err := rpcutil.Healthcheck(ctx, engine, engineCheckInterval, stop); err != nil {
			return fmt.Errorf("cannot watch the engine: %w", err)
		}
	}
	host := newHost(ctx, script, engine)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("cannot start the language host: %w", err)
	}
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}

// host implements the LanguageRuntime service for Python programs.
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	script  string
	engine  string
	stopCtx context.Context
	stopAll context.CancelFunc
}

func newHost(parent context.Context, script, engine string) *host {
	ctx, cancel := context.WithCancel(parent)
	return &host{script: script, engine: engine, stopCtx: ctx, stopAll: cancel}
}

// Handshake records the engine address when the engine sends it this way.
func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engine = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetPluginInfo reports the sdk/v3 version this host was built with.
func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// Cancel stops a running program.
func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.stopAll()
	return &emptypb.Empty{}, nil
}

// Run executes the program with the SDK's executor and reports how it ended.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if h.engine == "" {
		return nil, errors.New("no engine address: the engine must pass it or call Handshake first")
	}
	tc, err := resolveToolchain(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(h.stopCtx)
	defer cancel()
	context.AfterFunc(ctx, cancel)
	cmd, err := tc.Command(runCtx, append([]string{h.script}, h.arguments(req)...)...)
	if err != nil {
		return nil, err
	}
	env, err := programEnv(cmd.Env, req)
	if err != nil {
		return nil, err
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	return runResult(cmd.Run()), nil
}

// arguments are the executor's flags, in the SDK's names, followed by the entry point.
func (h *host) arguments(req *pulumirpc.RunRequest) []string {
	var args []string
	add := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine)
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("organization", req.GetOrganization())
	args = append(args, req.GetInfo().GetEntryPoint())
	return append(args, req.GetArgs()...)
}

// programEnv adds the stack config and the names of its secret keys to the environment.
func programEnv(base []string, req *pulumirpc.RunRequest) ([]string, error) {
	if base == nil {
		base = os.Environ()
	}
	env := append([]string{}, base...)
	if cfg := req.GetConfig(); cfg != nil {
		encoded, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("cannot encode the stack config: %w", err)
		}
		env = append(env, "PULUMI_CONFIG="+string(encoded))
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	encoded, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the secret config keys: %w", err)
	}
	return append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(encoded)), nil
}

// runResult turns the program's exit into the engine's answer.
func runResult(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the Python executor: %v", err)}
	}
	if exit.ExitCode() == bailExitCode {
		return &pulumirpc.RunResponse{Bail: true}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exit.ExitCode())}
}
