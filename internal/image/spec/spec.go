package spec

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default specification text.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// ErrInvalid marks a specification that does not parse or validate.
var ErrInvalid = errors.New("invalid image spec")

// Spec is one image build.
type Spec struct {
	Version        string     `yaml:"version"`
	Release        int        `yaml:"release"`
	Arch           string     `yaml:"arch"`
	Kernel         Kernel     `yaml:"kernel"`
	Modules        []string   `yaml:"modules"`
	Bootloader     Bootloader `yaml:"bootloader"`
	Busybox        bool       `yaml:"busybox"`
	E2fsprogs      bool       `yaml:"e2fsprogs"`
	CACertificates string     `yaml:"ca_certificates"`
	Compression    string     `yaml:"compression"`
	KernelParams   string     `yaml:"kernel_params"`
	Branches       []Branch   `yaml:"branches"`
	Formats        []string   `yaml:"formats"`

	// Dir is the directory relative paths are resolved against.
	Dir string `yaml:"-"`
}

// Kernel says where the kernel comes from.
type Kernel struct {
	Source     string `yaml:"source"` // debian | tree
	Vmlinuz    string `yaml:"vmlinuz"`
	ModulesDir string `yaml:"modules_dir"`
}

// Bootloader says how /init is made.
type Bootloader struct {
	Package    string `yaml:"package"`
	Binary     string `yaml:"binary"`
	ModuleRoot string `yaml:"module_root"`
	// PACHelper is a prebuilt cmd/ucvm-pac (PAC files; built with /init
	// when /init is built from source).
	PACHelper string `yaml:"pac_helper"`
}

// Branch is one OS repository an image boots.
type Branch struct {
	Name    string   `yaml:"name" json:"name"`
	FQRN    string   `yaml:"fqrn" json:"fqrn"`
	OSPath  string   `yaml:"os_path" json:"os_path"`
	Servers []string `yaml:"servers" json:"servers"`
	CDN     []string `yaml:"cdn" json:"cdn"`
	Tag     string   `yaml:"tag" json:"tag"`
	Keys    []string `yaml:"keys" json:"-"`
	Version string   `yaml:"-" json:"version"`
}

// Parse decodes and validates a specification; dir resolves relative paths.
func Parse(data []byte, dir string) (*Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, yamlError(err))
	}
	s.Dir = dir
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Load reads a specification file ("" = the embedded default).
func Load(path string) (*Spec, error) {
	if path == "" {
		wd, _ := os.Getwd()
		return Parse(defaultYAML, wd)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	abs, _ := filepath.Abs(filepath.Dir(path))
	s, err := Parse(data, abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Default is the parsed embedded specification.
func Default() *Spec {
	s, err := Load("")
	if err != nil {
		panic(err)
	}
	return s
}

// StrongVersion is "<version>-<release>.ucvm.<arch>".
func (s *Spec) StrongVersion() string {
	return fmt.Sprintf("%s-%d.ucvm.%s", s.Version, s.Release, s.Arch)
}

// Path resolves p against the spec's directory.
func (s *Spec) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.Dir, p)
}

var unknownKeyRE = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)

// yamlError renders a decoding error on one line, naming unknown keys.
func yamlError(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		if m := unknownKeyRE.FindStringSubmatch(e); m != nil {
			e = fmt.Sprintf("line %s: unknown key %q (see ucvm image spec for the keys)", m[1], m[2])
		}
		msgs[i] = e
	}
	return strings.Join(msgs, "; ")
}

var (
	versionRE = regexp.MustCompile(`^\d{4}\.(0[1-9]|1[0-2])$`)
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	fqrnRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9][A-Za-z0-9-]*)+$`)
	hostRE    = regexp.MustCompile(`^[A-Za-z0-9.-]+(:\d+)?(/[^\s,;]*)?$`)
	tagRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	pathRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)
)

// FastUnpack reports whether an initrd of this compression is made to be
// fast to unpack (lz4, none) rather than small (xz, zstd). Such an initrd
// keeps what most boots never run compressed, for the bootloader to
// unpack when needed: busybox (initrd.BusyboxLZ4Path) and the PAC engine
// (initrd.PACHelperPath, bootbin.PACInInit); under emulation, every MB the
// kernel unpacks costs a boot ~0.02 s (docs/benchmarks.md, stop 17). In a
// small one, the outer compression does better on the plain files.
func FastUnpack(compression string) bool { return compression == "lz4" || compression == "none" }
