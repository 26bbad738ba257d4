package userdata

import (
	"strings"
	"testing"
)

func FuzzParseBlock(f *testing.F) {
	f.Add([]byte(blockText))
	f.Add([]byte("[ucernvm-begin]\r\na=b=c\r\n[ucernvm-end]\r\n"))
	f.Add([]byte("[ucernvm-end]\n[ucernvm-begin]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, _ := ParseBlock(data)
		for _, e := range ctx.Entries() {
			if !validKey(e.Key) {
				t.Fatalf("invalid key %q", e.Key)
			}
		}
		// What is written can be read back unchanged (modulo newlines).
		back := ParseUcontext(FormatUcontext(ctx))
		for _, e := range ctx.Entries() {
			want := strings.NewReplacer("\r", " ", "\n", " ").Replace(e.Value)
			if got := back.Value(e.Key); got != want {
				t.Fatalf("round trip %s: %q != %q", e.Key, got, want)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(blockText))
	f.Add([]byte(mimeDoc("Content-Type: text/ucernvm\nContent-Transfer-Encoding: base64\n\nW3VjZXJudm0tYmVnaW5dCmE9MQo=")))
	f.Add([]byte(mimeDoc("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\n" + blockText + "\n--x--")))
	f.Add(gz(f, []byte(blockText)))
	f.Add([]byte(glideinData("args -param_CERNVM_CMS_PROXY a.semicolon,b")))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _ := Parse(data)
		if p == nil || p.Context == nil {
			t.Fatal("nil result")
		}
	})
}

func FuzzParseShellVars(f *testing.F) {
	f.Add("A=\"b c\"\nexport D='e'\\''f'\nG=h;I=j\n# x\n")
	f.Add("EC2_USER_DATA=\"unterminated\n")
	f.Fuzz(func(t *testing.T, s string) {
		for k := range ParseShellVars(s) {
			if shellName(k) != k || k == "" {
				t.Fatalf("bad name %q", k)
			}
		}
	})
}

func FuzzParseUcontext(f *testing.F) {
	f.Add([]byte("_UCONTEXT_A='x'\\''y'\n_UCONTEXT_B=plain;rest\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := ParseUcontext(data)
		for _, e := range ctx.Entries() {
			if !validKey(e.Key) {
				t.Fatalf("invalid key %q", e.Key)
			}
		}
	})
}
