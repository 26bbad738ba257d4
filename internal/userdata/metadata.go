package userdata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Default addresses of the metadata services.
const (
	LinkLocalURL  = "http://169.254.169.254"
	CloudStackURL = "http://10.1.1.1"
)

// MetadataConfig configures the metadata-service probe. Base URLs are
// injectable so that tests can point them at 127.0.0.1.
type MetadataConfig struct {
	LinkLocal      string        // default LinkLocalURL
	CloudStack     []string      // default CloudStackURL (+ DHCP server)
	ProbeTimeout   time.Duration // TCP port probe, default 2 s
	ConnTimeout    time.Duration // HTTP connect, default 16 s
	RequestTimeout time.Duration // whole request, default 30 s
	Client         *http.Client  // optional
}

func (c *MetadataConfig) defaults() {
	if c.LinkLocal == "" {
		c.LinkLocal = LinkLocalURL
	}
	if c.CloudStack == nil {
		c.CloudStack = []string{CloudStackURL}
	}
	if c.ProbeTimeout == 0 {
		c.ProbeTimeout = 2 * time.Second
	}
	if c.ConnTimeout == 0 {
		c.ConnTimeout = 16 * time.Second
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.Client == nil {
		d := &net.Dialer{Timeout: c.ConnTimeout}
		c.Client = &http.Client{
			Timeout:   c.RequestTimeout,
			Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext},
		}
	}
}

// FindOnNetwork probes the metadata service addresses in parallel and then
// asks, in µCernVM order, GCE, EC2 and OpenStack on the link-local address
// and CloudStack on the others. It returns nil if no service answers.
func FindOnNetwork(ctx context.Context, cfg MetadataConfig) (*Found, error) {
	cfg.defaults()
	bases := append([]string{cfg.LinkLocal}, cfg.CloudStack...)
	up := probePorts(ctx, bases, cfg.ProbeTimeout)
	var errs []error
	if up[cfg.LinkLocal] {
		m := &mdClient{cfg: cfg, base: cfg.LinkLocal}
		for _, try := range []func(context.Context) (*Found, error){m.gce, m.ec2, m.openstack} {
			f, err := try(ctx)
			if f != nil {
				return f, nil
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, b := range cfg.CloudStack {
		if !up[b] {
			continue
		}
		m := &mdClient{cfg: cfg, base: b}
		f, err := m.cloudstack(ctx)
		if f != nil {
			return f, nil
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return nil, errors.Join(errs...)
}

// probePorts opens TCP connections to every base URL's host in parallel
// and reports which ones accepted within timeout.
func probePorts(ctx context.Context, bases []string, timeout time.Duration) map[string]bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	up := map[string]bool{}
	for _, b := range bases {
		u, err := url.Parse(b)
		if err != nil || u.Host == "" {
			continue
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "80")
		}
		wg.Add(1)
		go func(b, host string) {
			defer wg.Done()
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", host)
			if err != nil {
				return
			}
			c.Close()
			mu.Lock()
			up[b] = true
			mu.Unlock()
		}(b, host)
	}
	wg.Wait()
	return up
}

type mdClient struct {
	cfg  MetadataConfig
	base string
}

// get fetches path and returns the body on HTTP 200.
func (m *mdClient) get(ctx context.Context, method, path string, hdr map[string]string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(m.base, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := m.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxUserData+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %w: HTTP %d", method, req.URL, errHTTP, resp.StatusCode)
	}
	if len(body) > MaxUserData {
		return nil, fmt.Errorf("%s: %w", req.URL, ErrTooLarge)
	}
	return body, nil
}

var errHTTP = errors.New("unexpected status")

// download implements download_userdata: user data if it can be fetched;
// else, if the check URL answers, found with empty user data.
func (m *mdClient) download(ctx context.Context, src, dataPath, checkPath string, hdr map[string]string) (*Found, error) {
	data, err := m.get(ctx, http.MethodGet, dataPath, hdr)
	if err == nil {
		return &Found{Source: src, Device: m.base, Data: data}, nil
	}
	if _, cerr := m.get(ctx, http.MethodGet, checkPath, hdr); cerr == nil {
		return &Found{Source: src, Device: m.base}, nil
	}
	return nil, err
}

func (m *mdClient) gce(ctx context.Context) (*Found, error) {
	hdr := map[string]string{"X-Google-Metadata-Request": "True", "Metadata-Flavor": "Google"}
	return m.download(ctx, SrcGCE, "/computeMetadata/v1/instance/attributes/user-data",
		"/computeMetadata/v1/instance/id", hdr)
}

// ec2 uses an IMDSv2 session token when the service hands one out and
// falls back to IMDSv1 requests otherwise.
func (m *mdClient) ec2(ctx context.Context) (*Found, error) {
	hdr := map[string]string{}
	tok, err := m.get(ctx, http.MethodPut, "/latest/api/token",
		map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
	if err == nil && len(tok) > 0 {
		hdr["X-aws-ec2-metadata-token"] = strings.TrimSpace(string(tok))
	}
	return m.download(ctx, SrcEC2, "/2016-04-19/user-data", "/2016-04-19/meta-data/ami-id", hdr)
}

func (m *mdClient) openstack(ctx context.Context) (*Found, error) {
	f, err := m.download(ctx, SrcOpenStack, "/openstack/2013-10-17/user_data",
		"/openstack/2013-10-17/meta_data.json", nil)
	if f != nil {
		return f, nil
	}
	f, err2 := m.download(ctx, SrcOpenStack, "/latest/user-data", "/latest/meta-data/ami-id", nil)
	if f != nil {
		return f, nil
	}
	return nil, errors.Join(err, err2)
}

func (m *mdClient) cloudstack(ctx context.Context) (*Found, error) {
	return m.download(ctx, SrcCloudStack, "/latest/user-data", "/latest/meta-data/instance-id", nil)
}
