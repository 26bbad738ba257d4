package userdata

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Source names as written to context/source (and UCONTEXT_SRC).
const (
	SrcNone        = "(none)"
	SrcConfigDrive = "ConfigDrive"
	SrcOpenNebula  = "OpenNebula"
	SrcVSphere     = "vSphere"
	SrcAzure       = "Azure"
	SrcGCE         = "GCE"
	SrcEC2         = "EC2"
	SrcOpenStack   = "OpenStack"
	SrcCloudStack  = "CloudStack"
)

// AzureMarker is the file that identifies the Azure provisioning medium.
const AzureMarker = "E6DA6616-8EC4-48E0-BE93-58CE6ACE3CFB.tag"

// Medium is a mounted (read-only) block device that may carry user data.
type Medium struct {
	Device string // e.g. /dev/sr0
	FSType string // iso9660, vfat, udf, ...
	Dir    string // mount point
}

// Found is user data found in a source. Data may be empty: a source that
// answers but has no user data still counts as found, as in the original.
type Found struct {
	Source string
	Device string // medium the data came from, if any
	Data   []byte
}

// FindOnMedia tries the media sources in µCernVM order: ConfigDrive,
// OpenNebula, vSphere, Azure. Each source is tried on every medium before
// the next source. It returns nil if none matches.
func FindOnMedia(media []Medium) (*Found, error) {
	probes := []struct {
		name  string
		probe func(Medium) ([]byte, bool, error)
	}{
		{SrcConfigDrive, probeConfigDrive},
		{SrcOpenNebula, probeOpenNebula},
		{SrcVSphere, probeVSphere},
		{SrcAzure, probeAzure},
	}
	var errs []error
	for _, p := range probes {
		for _, m := range media {
			data, ok, err := p.probe(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s on %s: %w", p.name, m.Device, err))
				continue
			}
			if ok {
				return &Found{Source: p.name, Device: m.Device, Data: data}, nil
			}
		}
	}
	return nil, errors.Join(errs...)
}

func isoOrFat(m Medium) bool { return m.FSType == "iso9660" || m.FSType == "vfat" }

func probeConfigDrive(m Medium) ([]byte, bool, error) {
	if !isoOrFat(m) {
		return nil, false, nil
	}
	return readIfExists(filepath.Join(m.Dir, "openstack", "latest", "user_data"))
}

func probeOpenNebula(m Medium) ([]byte, bool, error) {
	if !isoOrFat(m) {
		return nil, false, nil
	}
	b, ok, err := readIfExists(filepath.Join(m.Dir, "context.sh"))
	if !ok || err != nil {
		return nil, ok, err
	}
	data, err := OpenNebulaUserData(b)
	return data, true, err
}

// OpenNebulaUserData returns the base64-decoded EC2_USER_DATA of a
// context.sh (parsed as data, not executed). A missing variable yields empty
// user data.
func OpenNebulaUserData(contextSh []byte) ([]byte, error) {
	v := ParseShellVars(string(contextSh))["EC2_USER_DATA"]
	v = strings.Join(strings.Fields(v), "")
	if v == "" {
		return nil, nil
	}
	data, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%w: EC2_USER_DATA in context.sh is not base64 (%w); encode the user data with base64 -w0", ErrMalformed, err)
	}
	return data, nil
}

func probeVSphere(m Medium) ([]byte, bool, error) {
	if m.FSType != "iso9660" {
		return nil, false, nil
	}
	return readIfExists(filepath.Join(m.Dir, "user-data.txt"))
}

func probeAzure(m Medium) ([]byte, bool, error) {
	if m.FSType != "udf" {
		return nil, false, nil
	}
	if _, err := os.Stat(filepath.Join(m.Dir, AzureMarker)); err != nil {
		return nil, false, nil
	}
	data, _, err := readIfExists(filepath.Join(m.Dir, "CustomData.bin"))
	return data, true, err
}

func readIfExists(path string) ([]byte, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxUserData+1))
	if err != nil {
		return nil, true, err
	}
	if len(b) > MaxUserData {
		return nil, true, fmt.Errorf("%s: %w", path, ErrTooLarge)
	}
	return b, true, nil
}

// Extra is what the extra-context step finds on other media.
type Extra struct {
	UserData []byte   // concatenated cernvm/extra-user-data files
	Pickup   string   // path of the last cernvm/pickup.tar.gz found
	Devices  []string // e.g. /dev/sda1, /dev/sda1(pickup)
}

// FindExtra looks for cernvm/extra-user-data (appended in order) and
// cernvm/pickup.tar.gz (last one wins) on every medium.
func FindExtra(media []Medium) (*Extra, error) {
	ex := &Extra{}
	var errs []error
	for _, m := range media {
		b, ok, err := readIfExists(filepath.Join(m.Dir, "cernvm", "extra-user-data"))
		if err != nil {
			errs = append(errs, err)
		} else if ok {
			ex.UserData = append(ex.UserData, b...)
			if len(b) > 0 && b[len(b)-1] != '\n' {
				ex.UserData = append(ex.UserData, '\n')
			}
			ex.Devices = append(ex.Devices, m.Device)
		}
		p := filepath.Join(m.Dir, "cernvm", "pickup.tar.gz")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			ex.Pickup = p
			ex.Devices = append(ex.Devices, m.Device+"(pickup)")
		}
	}
	return ex, errors.Join(errs...)
}
