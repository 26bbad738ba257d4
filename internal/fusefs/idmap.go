package fusefs

import (
	"github.com/ucvm/ucvm/internal/clientconfig"
)

// IDMap maps catalog uids or gids to local ones (CVMFS_UID_MAP/GID_MAP);
// it is the configuration package's map. The zero value is the identity.
type IDMap = clientconfig.IDMap

// ParseIDMap parses the map file format of the real client: one
// "<catalog id> <local id>" pair per line, "*" as catalog id for the
// default, "#" comments.
func ParseIDMap(data string) (IDMap, error) {
	m, err := clientconfig.ParseIDMap("id map", []byte(data))
	if err != nil {
		return IDMap{}, err
	}
	return *m, nil
}

// LoadIDMap reads a map file; an empty path is the identity map.
func LoadIDMap(path string) (IDMap, error) {
	if path == "" {
		return IDMap{}, nil
	}
	m, err := clientconfig.ReadIDMap(path)
	if err != nil {
		return IDMap{}, err
	}
	return *m, nil
}
