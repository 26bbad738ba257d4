package userdata

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

const blockText = "[ucernvm-begin]\ncvmfs_http_proxy=http://a:3128;DIRECT\ncvmfs_tag=v7\n[ucernvm-end]\n"

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func mimeDoc(parts ...string) string {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=\"===B===\"\nMIME-Version: 1.0\n\n")
	for _, p := range parts {
		b.WriteString("--===B===\n" + p + "\n")
	}
	b.WriteString("--===B===--\n")
	return b.String()
}

func TestParseUserData(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte(blockText))
	wrapped := b64[:20] + "\n" + b64[20:]
	tests := []struct {
		name string
		in   []byte
	}{
		{"plain", []byte("#!/bin/sh\n" + blockText)},
		{"gzip", gz(t, []byte(blockText))},
		{"mime plain part", []byte(mimeDoc(
			"Content-Type: text/cloud-config\n\n#cloud-config\n",
			"Content-Type: text/ucernvm; charset=\"us-ascii\"\nContent-Transfer-Encoding: 7bit\n\n"+blockText))},
		{"mime base64 part", []byte(mimeDoc(
			"Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64\n\n"+base64.StdEncoding.EncodeToString([]byte("#cloud-config\n")),
			"Content-Type: text/ucernvm; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"u\"\n\n"+wrapped))},
		{"mime gzip'ed part", []byte(mimeDoc(
			"Content-Type: application/x-gzip\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString(gz(t, []byte(blockText)))))},
		{"mime crlf", []byte(strings.ReplaceAll(mimeDoc("Content-Type: text/ucernvm\n\n"+blockText), "\n", "\r\n"))},
		{"gzip of mime", gz(t, []byte(mimeDoc("Content-Type: text/ucernvm\nContent-Transfer-Encoding: base64\n\n"+b64)))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Found {
				t.Fatal("block not found")
			}
			if got := p.Context.Value("cvmfs_http_proxy"); got != "http://a:3128;DIRECT" {
				t.Errorf("proxy = %q", got)
			}
			if got := p.Context.Value("cvmfs_tag"); got != "v7" {
				t.Errorf("tag = %q", got)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	for name, in := range map[string]string{
		"truncated gzip": string(gz(t, []byte(blockText))[:15]),
		"bad base64":     mimeDoc("Content-Type: text/ucernvm\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!"),
		"no boundary":    "Content-Type: multipart/mixed\n\nfoo\n",
	} {
		t.Run(name, func(t *testing.T) {
			p, err := Parse([]byte(in))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if p == nil || p.Context == nil || p.Found {
				t.Fatalf("want an empty, usable result, got %+v", p)
			}
		})
	}
}

func glideinData(args string) string {
	b := base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\n" + args + "\nother=1\n"))
	return b + "####glidein -cluster 12 -subcluster 3####factory\n"
}

func TestGlidein(t *testing.T) {
	ud := glideinData("args -param_CERNVM_CMS_PROXY http.colon,//squid.dot,ch.colon,3128.semicolon,DIRECT -param_CERNVM_CMS_PAC_URLS http.colon,//w.pipe,x -v std")
	p, err := Parse([]byte(ud))
	if err != nil {
		t.Fatal(err)
	}
	if p.Glidein == nil {
		t.Fatal("glideinWMS not detected")
	}
	if got := p.Context.Value("cvmfs_http_proxy"); got != "http://squid.ch:3128;DIRECT" {
		t.Errorf("proxy = %q", got)
	}
	if got := p.Context.Value("cvmfs_pac_urls"); got != "http://w|x" {
		t.Errorf("pac = %q", got)
	}
	if _, ok := DetectGlidein([]byte("line1\n" + ud)); ok {
		t.Error("multi-line data detected as glidein")
	}
	off := "[ucernvm-begin]\nuseglideinwms=off\n[ucernvm-end]\n"
	if p, _ := Parse([]byte(off)); p.Glidein != nil {
		t.Error("detected without glidein data")
	}
}
