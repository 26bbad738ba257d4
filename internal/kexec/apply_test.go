package kexec

import (
	"errors"
	"testing"
)

func TestParseApply(t *testing.T) {
	a, err := ParseApply([]byte("version=2021.05-1.cernvm.x86_64\nkernel=vmlinuz-4.14.232-19.cernvm.x86_64.xz\ninitrd=initrd.2021.05-1.cernvm.x86_64\ncmdline=\n"))
	if err != nil || a.Version != "2021.05-1.cernvm.x86_64" || a.Kernel != "vmlinuz-4.14.232-19.cernvm.x86_64.xz" || a.Cmdline != "" {
		t.Fatalf("%+v %v", a, err)
	}
	if got := a.CommandLine("root=first quiet\n"); got != "root=first quiet" {
		t.Fatalf("cmdline %q", got)
	}
	b, err := ParseApply([]byte(a.String()))
	if err != nil || b != a {
		t.Fatalf("round trip %+v %v", b, err)
	}
	for _, bad := range []string{"", "version=1\n", "version=1\nkernel=../x\ninitrd=i\n", "version=1\nkernel=k\ninitrd=/etc/passwd\n",
		"kernel=k\ninitrd=i\n", "version=1\nkernel=k\ninitrd=i\ngarbage\n"} {
		if _, err := ParseApply([]byte(bad)); !errors.Is(err, ErrBadApply) {
			t.Errorf("%q accepted (%v)", bad, err)
		}
	}
}

func FuzzParseApply(f *testing.F) {
	f.Add([]byte("version=1\nkernel=k\ninitrd=i\ncmdline=a b\n"))
	f.Add([]byte("version=\x00\nkernel=..\n"))
	f.Add([]byte("#c\r\nversion = 2 \r\nkernel=k\r\ninitrd=i\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseApply(data)
		if err != nil {
			return
		}
		if !plainName(a.Kernel) || !plainName(a.Initrd) || a.Version == "" {
			t.Fatalf("accepted %+v", a)
		}
		b, err := ParseApply([]byte(a.String()))
		if err != nil || b != a {
			t.Fatalf("round trip of %+v: %+v %v", a, b, err)
		}
	})
}
