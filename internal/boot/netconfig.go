package boot

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Route is one static route; Dst nil means the default route.
type Route struct {
	Dst *net.IPNet
	Gw  net.IP
}

// NetConfig is the address configuration of one interface, from a DHCP
// lease or static settings.
type NetConfig struct {
	Iface    string
	Addr     net.IPNet
	Routes   []Route
	DNS      []net.IP
	Search   []string
	MTU      int
	ServerID net.IP // DHCP server (a CloudStack metadata candidate)
	Static   bool
}

// LeaseConfig turns a DHCP ACK into a NetConfig, as the udhcpc script of
// the original does: MTU option; classless static routes (RFC 3442: when
// present the router option is ignored); a host route to the router when
// the mask is /32 (GCE); default routes via the routers.
func LeaseConfig(iface string, ack *dhcpv4.DHCPv4) NetConfig {
	mask := ack.SubnetMask()
	if mask == nil {
		mask = ack.YourIPAddr.DefaultMask()
	}
	c := NetConfig{Iface: iface, Addr: net.IPNet{IP: ack.YourIPAddr.To4(), Mask: mask}, DNS: ack.DNS(), ServerID: ack.ServerIdentifier()}
	if b := ack.GetOneOption(dhcpv4.OptionInterfaceMTU); len(b) == 2 {
		c.MTU = int(b[0])<<8 | int(b[1])
	}
	if l := ack.DomainSearch(); l != nil {
		c.Search = l.Labels
	} else if d := ack.DomainName(); d != "" {
		c.Search = []string{d}
	}
	ones, bits := mask.Size()
	if csr := ack.ClasslessStaticRoute(); len(csr) > 0 {
		for _, r := range csr {
			dst := r.Dest
			if o, _ := dst.Mask.Size(); o == 0 {
				dst = nil
			}
			c.Routes = append(c.Routes, Route{Dst: dst, Gw: r.Router})
		}
		return c
	}
	for _, gw := range ack.Router() {
		if ones == bits && bits > 0 {
			c.Routes = append(c.Routes, Route{Dst: &net.IPNet{IP: gw, Mask: net.CIDRMask(32, 32)}})
		}
		c.Routes = append(c.Routes, Route{Gw: gw})
	}
	return c
}

// ResolvConf renders /etc/resolv.conf for c.
func (c NetConfig) ResolvConf() string {
	var b strings.Builder
	if len(c.Search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(c.Search, " "))
	}
	for _, d := range c.DNS {
		fmt.Fprintf(&b, "nameserver %s\n", d)
	}
	return b.String()
}

// IfaceInfo is what static configuration needs to know about a NIC.
type IfaceInfo struct {
	Name string
	MAC  string
}

// OpenNebulaConfigs derives static settings from OpenNebula context
// variables (ETHn_MAC, ETHn_IP, ETHn_MASK, ETHn_GATEWAY, ETHn_DNS, ETHn_MTU,
// DNS): each ETHn_MAC is matched to a NIC; a missing IP is derived from the
// last four MAC bytes; the mask defaults to 255.255.255.0 and ETH0's
// gateway to <net>.1. It returns nil if no ETHn_MAC matches.
func OpenNebulaConfigs(vars map[string]string, ifaces []IfaceInfo) []NetConfig {
	var ns []int
	for k := range vars {
		if strings.HasPrefix(k, "ETH") && strings.HasSuffix(k, "_MAC") {
			if n, err := strconv.Atoi(k[3 : len(k)-4]); err == nil {
				ns = append(ns, n)
			}
		}
	}
	sort.Ints(ns)
	var out []NetConfig
	for _, n := range ns {
		p := fmt.Sprintf("ETH%d_", n)
		mac := strings.ToLower(strings.TrimSpace(vars[p+"MAC"]))
		name := ""
		for _, i := range ifaces {
			if strings.ToLower(i.MAC) == mac {
				name = i.Name
			}
		}
		if name == "" {
			continue
		}
		if c, ok := oneConfig(vars, p, n, mac, name); ok {
			out = append(out, c)
		}
	}
	return out
}

func oneConfig(vars map[string]string, p string, n int, mac, name string) (NetConfig, bool) {
	ip := net.ParseIP(strings.TrimSpace(vars[p+"IP"])).To4()
	if ip == nil {
		hw, err := net.ParseMAC(mac)
		if err != nil || len(hw) < 4 {
			return NetConfig{}, false
		}
		ip = net.IP(hw[len(hw)-4:]).To4()
	}
	mask := net.IPMask(net.ParseIP(orDefault(vars[p+"MASK"], "255.255.255.0")).To4())
	if mask == nil {
		mask = net.CIDRMask(24, 32)
	}
	c := NetConfig{Iface: name, Addr: net.IPNet{IP: ip, Mask: mask}, Static: true}
	gw := net.ParseIP(strings.TrimSpace(vars[p+"GATEWAY"])).To4()
	if gw == nil && n == 0 {
		gw = ip.Mask(mask).To4()
		gw = net.IPv4(gw[0], gw[1], gw[2], gw[3]+1).To4()
	}
	if gw != nil {
		c.Routes = []Route{{Gw: gw}}
	}
	for _, d := range strings.Fields(vars["DNS"] + " " + vars[p+"DNS"]) {
		if ipd := net.ParseIP(d); ipd != nil {
			c.DNS = append(c.DNS, ipd)
		}
	}
	if m, err := strconv.Atoi(strings.TrimSpace(vars[p+"MTU"])); err == nil && m >= 576 {
		c.MTU = m
	}
	return c, true
}

func orDefault(v, d string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return d
}
