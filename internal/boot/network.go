package boot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/vishvananda/netlink"
)

// ErrNoLease is returned when no interface got a DHCP lease in time.
var ErrNoLease = errors.New("no DHCP lease")

// Interfaces lists the NICs except loopback.
func Interfaces() ([]IfaceInfo, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var out []IfaceInfo
	for _, l := range links {
		a := l.Attrs()
		if a.Flags&net.FlagLoopback != 0 || a.Name == "lo" || l.Type() != "device" && l.Type() != "veth" {
			continue
		}
		out = append(out, IfaceInfo{Name: a.Name, MAC: a.HardwareAddr.String()})
	}
	return out, nil
}

// LinkUp brings lo and the named links up.
func LinkUp(names ...string) error {
	var errs []error
	for _, n := range append([]string{"lo"}, names...) {
		l, err := netlink.LinkByName(n)
		if err == nil {
			err = netlink.LinkSetUp(l)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("link %s up: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

// DHCP runs DHCP on every interface in parallel; the first lease wins and
// the others are cancelled. The whole exchange is bounded by timeout.
func DHCP(ctx context.Context, ifaces []IfaceInfo, timeout time.Duration) (NetConfig, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		cfg NetConfig
		err error
	}
	ch := make(chan result, len(ifaces))
	var wg sync.WaitGroup
	for _, i := range ifaces {
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			c, err := dhcpOne(ctx, name)
			ch <- result{c, err}
		}(i.Name)
	}
	go func() { wg.Wait(); close(ch) }()
	var errs []error
	for r := range ch {
		if r.err == nil {
			cancel()
			return r.cfg, nil
		}
		errs = append(errs, r.err)
	}
	return NetConfig{}, fmt.Errorf("%w within %v: %w", ErrNoLease, timeout, errors.Join(errs...))
}

func dhcpOne(ctx context.Context, iface string) (NetConfig, error) {
	c, err := nclient4.New(iface, nclient4.WithTimeout(3*time.Second), nclient4.WithRetry(6))
	if err != nil {
		return NetConfig{}, fmt.Errorf("dhcp %s: %w", iface, err)
	}
	defer c.Close()
	lease, err := c.Request(ctx, dhcpv4.WithRequestedOptions(
		dhcpv4.OptionInterfaceMTU, dhcpv4.OptionClasslessStaticRoute, dhcpv4.OptionDNSDomainSearchList))
	if err != nil {
		return NetConfig{}, fmt.Errorf("dhcp %s: %w", iface, err)
	}
	return LeaseConfig(iface, lease.ACK), nil
}

// ApplyNetConfig configures the interface: MTU, address, routes, and
// writes resolv.conf (resolvPath, usually /etc/resolv.conf).
func ApplyNetConfig(c NetConfig, resolvPath string) error {
	l, err := netlink.LinkByName(c.Iface)
	if err != nil {
		return fmt.Errorf("link %s: %w", c.Iface, err)
	}
	if c.MTU >= 576 {
		if err := netlink.LinkSetMTU(l, c.MTU); err != nil {
			return fmt.Errorf("mtu %d on %s: %w", c.MTU, c.Iface, err)
		}
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return err
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: c.Addr.IP, Mask: c.Addr.Mask}}
	if err := netlink.AddrReplace(l, addr); err != nil {
		return fmt.Errorf("address %s on %s: %w", c.Addr.String(), c.Iface, err)
	}
	for i, r := range c.Routes {
		nr := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: r.Dst, Gw: r.Gw, Priority: i}
		if r.Gw == nil {
			nr.Scope = netlink.SCOPE_LINK
		}
		if err := netlink.RouteReplace(nr); err != nil {
			return fmt.Errorf("route %v via %v on %s: %w", r.Dst, r.Gw, c.Iface, err)
		}
	}
	if len(c.DNS) > 0 && resolvPath != "" {
		return writeAtomic(resolvPath, []byte(c.ResolvConf()), 0o644)
	}
	return nil
}

// NetworkLog renders the interface state for ulogs/network.log.
func NetworkLog(c NetConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "interface %s address %s mtu %d static %v dhcp-server %v\n", c.Iface, c.Addr.String(), c.MTU, c.Static, c.ServerID)
	for _, r := range c.Routes {
		fmt.Fprintf(&b, "route %v via %v\n", r.Dst, r.Gw)
	}
	b.WriteString(c.ResolvConf())
	if links, err := netlink.LinkList(); err == nil {
		for _, l := range links {
			addrs, _ := netlink.AddrList(l, netlink.FAMILY_V4)
			fmt.Fprintf(&b, "link %s %s mtu %d %v\n", l.Attrs().Name, l.Attrs().HardwareAddr, l.Attrs().MTU, addrs)
		}
	}
	return b.String()
}
