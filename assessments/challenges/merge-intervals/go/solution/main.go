package main

import (
	"fmt"
	"sort"
)

// Merge returns the union of closed intervals, as few as possible, sorted by start.
func Merge(intervals [][2]int) [][2]int {
	sorted := append([][2]int(nil), intervals...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i][0] < sorted[j][0] })
	out := [][2]int{}
	for _, iv := range sorted {
		if n := len(out); n > 0 && iv[0] <= out[n-1][1] {
			if iv[1] > out[n-1][1] {
				out[n-1][1] = iv[1]
			}
		} else {
			out = append(out, iv)
		}
	}
	return out
}

func main() {
	fmt.Println(Merge([][2]int{{1, 3}, {8, 10}, {2, 6}}))
}
