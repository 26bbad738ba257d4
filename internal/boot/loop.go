package boot

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/loopdev"
)

// mountLayerImage mounts the image of a boot layer made from a boot pack
// (layer/pack.erofs) on its OS directory, lower, after loading the loop
// and EROFS modules with loadLater. A layer of plain files has no image:
// nothing to do.
func mountLayerImage(layer, lower string, loadLater func(...string) error) (bool, error) {
	img := filepath.Join(layer, bootpack.ImageName)
	if _, err := os.Stat(img); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err := loadLater(LaterModules...); err != nil {
		return true, err
	}
	return true, loopdev.Mount(img, lower, bootpack.ImageType, loopdev.Options{})
}
