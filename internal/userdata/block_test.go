package userdata

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBlock(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		found bool
		want  map[string]string
	}{
		{"none", "#cloud-config\nfoo: bar\n", false, map[string]string{}},
		{"basic", "x\n[ucernvm-begin]\nresize_rootfs=off\ncvmfs_branch=cernvm-prod.cern.ch\n[ucernvm-end]\ny=1\n",
			true, map[string]string{"resize_rootfs": "0", "cvmfs_branch": "cernvm-prod.cern.ch"}},
		{"proxy semicolon survives", "[ucernvm-begin]\ncvmfs_http_proxy=http://a:3128;DIRECT\n[ucernvm-end]\n",
			true, map[string]string{"cvmfs_http_proxy": "http://a:3128;DIRECT"}},
		{"pipe survives", "[ucernvm-begin]\ncvmfs_http_proxy=http://a:3128|http://b:3128;DIRECT\n[ucernvm-end]\n",
			true, map[string]string{"cvmfs_http_proxy": "http://a:3128|http://b:3128;DIRECT"}},
		{"crlf", "[ucernvm-begin]\r\nuse_boothd=on\r\ncvmfs_tag=v1\r\n[ucernvm-end]\r\n",
			true, map[string]string{"use_boothd": "1", "cvmfs_tag": "v1"}},
		{"case and bools", "[ucernvm-begin]\nCVMFS_Server=a.example,b.example\nuseglideinwms=False\nx=Yes\n[ucernvm-end]",
			true, map[string]string{"cvmfs_server": "a.example,b.example", "useglideinwms": "0", "x": "1"}},
		{"value with equals and quotes", "[ucernvm-begin]\ncernvm_inject=\"YWJj==\"\ncvmfs_pac_urls='http://w/wpad.dat;http://x/wpad.dat'\n[ucernvm-end]",
			true, map[string]string{"cernvm_inject": "YWJj==", "cvmfs_pac_urls": "http://w/wpad.dat;http://x/wpad.dat"}},
		{"end before begin stops", "[ucernvm-end]\n[ucernvm-begin]\na=1\n[ucernvm-end]\n", false, map[string]string{}},
		{"only first block", "[ucernvm-begin]\na=1\n[ucernvm-end]\n[ucernvm-begin]\nb=2\n[ucernvm-end]\n",
			true, map[string]string{"a": "1"}},
		{"bad keys and comments skipped", "[ucernvm-begin]\n# c=1\nnot a pair\n$(reboot)=x\na b=1\nok_1=v\n[ucernvm-end]\n",
			true, map[string]string{"ok_1": "v"}},
		{"last line without newline", "[ucernvm-begin]\ncvm_cluster_pin=abc", true, map[string]string{"cvm_cluster_pin": "abc"}},
		{"command substitution is data", "[ucernvm-begin]\ncvmfs_server=$(touch /tmp/pwned)`id`\n[ucernvm-end]\n",
			true, map[string]string{"cvmfs_server": "$(touch /tmp/pwned)`id`"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, found := ParseBlock([]byte(tc.in))
			if found != tc.found {
				t.Fatalf("found = %v, want %v", found, tc.found)
			}
			if ctx.Len() != len(tc.want) {
				t.Fatalf("entries %v, want %v", ctx.Entries(), tc.want)
			}
			for k, v := range tc.want {
				if got := ctx.Value(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestUcontextSourcedByShell proves that sourcing the written file with a
// real POSIX shell yields exactly the parsed values and runs nothing.
func TestUcontextSourcedByShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	ctx := &Context{}
	vals := map[string]string{
		"cvmfs_http_proxy": "http://a:3128;DIRECT",
		"cvmfs_pac_urls":   "http://a/wpad.dat|http://b/wpad.dat",
		"cvmfs_server":     "$(touch " + marker + ")`touch " + marker + "`",
		"cernvm_path":      "it's \"quoted\" \\ and $HOME",
		"empty":            "",
	}
	for k, v := range vals {
		ctx.Set(k, v)
	}
	path := filepath.Join(dir, "ucontext")
	if err := WriteUcontext(path, ctx); err != nil {
		t.Fatal(err)
	}
	for k, want := range vals {
		name := UcontextPrefix + strings.ToUpper(k)
		out, err := exec.Command(sh, "-c", `. "$1" && printf '%s' "$`+name+`"`, "sh", path).CombinedOutput()
		if err != nil {
			t.Fatalf("sourcing: %v: %s", err, out)
		}
		if string(out) != want {
			t.Errorf("%s via sh = %q, want %q", name, out, want)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("sourcing the ucontext file executed a command")
	}
	back, err := ReadUcontext(path)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range vals {
		if got := back.Value(k); got != want {
			t.Errorf("ParseUcontext %s = %q, want %q", k, got, want)
		}
	}
}

func TestParseUcontextOriginalForm(t *testing.T) {
	ctx := ParseUcontext([]byte("_UCONTEXT_RESIZE_ROOTFS=0\n_UCONTEXT_CVMFS_SERVER=a.ch,b.ch\nexport _UCONTEXT_X=\"q v\"\nOTHER=1\n"))
	if ctx.Value("resize_rootfs") != "0" || ctx.Value("cvmfs_server") != "a.ch,b.ch" || ctx.Value("x") != "q v" || ctx.Len() != 3 {
		t.Fatalf("got %v", ctx.Entries())
	}
}

func TestParseShellVars(t *testing.T) {
	in := "# context\nETH0_MAC=\"02:00:0a:00:00:05\"\nexport ETH0_IP='10.0.0.5'\nDNS=\"8.8.8.8 1.1.1.1\"\nEC2_USER_DATA=\"W3Vj\nZXJu\"\nbad line here\nX=plain;Y=2\nZ='a'\\''b'\n"
	v := ParseShellVars(in)
	want := map[string]string{"ETH0_MAC": "02:00:0a:00:00:05", "ETH0_IP": "10.0.0.5", "DNS": "8.8.8.8 1.1.1.1",
		"EC2_USER_DATA": "W3Vj\nZXJu", "X": "plain", "Y": "2", "Z": "a'b"}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %q, want %q", k, v[k], w)
		}
	}
}
