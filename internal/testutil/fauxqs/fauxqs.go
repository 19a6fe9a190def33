// Package fauxqs runs the SQS emulator the tests reach through the real AWS
// SDK: npm fauxqs@1.9.2, which speaks the JSON protocol today's SDK uses
// (goaws speaks only the query protocol). It is installed from the
// project's own tools/sqs (package.json and package-lock.json) by
// scripts/test with `npm ci`, and started here by tools/sqs/serve.mjs on
// 127.0.0.1 and a free port, one process per Start.
//
// A test whose emulator cannot start fails, with a line that says what to
// install: it is never skipped.
package fauxqs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Dummy credentials and the region of the tests: the emulator checks no
// signature, the SDK needs something to sign with.
const (
	Region    = "us-east-1"
	AccessKey = "AKIAFAUXQSTEST000000"
	SecretKey = "fauxqs-dummy-secret-key-for-tests-only"
)

// SenderID is the SenderId fauxqs gives every message it delivers (its
// ReceiveMessage answers this constant; a sender cannot choose another):
// the tests name it in amazon.sender_ids as Amazon's, and test a foreign
// sender by naming another.
const SenderID = "000000000000"

// Env is the environment a child process (the notifier binary) needs to
// reach the emulator through the SDK's default credential chain, with
// nothing read from the machine's own AWS files or instance metadata.
func Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// startBound bounds how long the emulator may take to say it listens.
const startBound = 30 * time.Second

// Server is one running emulator.
type Server struct {
	URL    string // the endpoint: http://127.0.0.1:PORT
	Client *sqs.Client
}

// Start starts an emulator for the test, stopped at its end.
func Start(t testing.TB) *Server {
	t.Helper()
	dir, err := toolsDir()
	if err != nil {
		t.Fatalf("fauxqs: %v", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("fauxqs: node is not installed: install Node.js 20 or later (Debian: apt-get install nodejs npm), then run scripts/test")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "fauxqs", "package.json")); err != nil {
		t.Fatalf("fauxqs: the SQS emulator is not installed: run scripts/test, or `npm ci` in %s", dir)
	}
	cmd := exec.Command("node", "serve.mjs")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // closed: the emulator exits
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("fauxqs: start: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				port <- p
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var p string
	select {
	case p = <-port:
	case <-time.After(startBound):
		t.Fatalf("fauxqs: did not start within %s", startBound)
	}
	if _, err := strconv.Atoi(p); err != nil {
		t.Fatalf("fauxqs: said it listens on %q", p)
	}
	s := &Server{URL: "http://127.0.0.1:" + p}
	s.Client = sqs.New(sqs.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	return s
}

// toolsDir is tools/sqs of the module the test runs in.
func toolsDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "tools", "sqs"), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.mod above " + wd)
		}
	}
}

// CreateQueue creates a queue with the attributes given (VisibilityTimeout,
// say) and returns its URL.
func (s *Server) CreateQueue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	out, err := s.Client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("fauxqs: create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// Send sends one message body to the queue.
func (s *Server) Send(t testing.TB, queueURL, body string) {
	t.Helper()
	if _, err := s.Client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)}); err != nil {
		t.Fatalf("fauxqs: send: %v", err)
	}
}

// Count is how many messages the queue holds: visible, and received but
// not deleted (in flight).
func (s *Server) Count(t testing.TB, queueURL string) (visible, inFlight int) {
	t.Helper()
	out, err := s.Client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatalf("fauxqs: queue attributes: %v", err)
	}
	v, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	f, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return v, f
}

// String is the server's endpoint.
func (s *Server) String() string { return fmt.Sprintf("fauxqs at %s", s.URL) }
