package history

import "strconv"

func fmtInt(v int64) string { return strconv.FormatInt(v, 10) }
