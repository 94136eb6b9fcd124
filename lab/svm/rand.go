package svm

// mt19937 is the 32-bit Mersenne Twister that scikit-learn's patched liblinear draws its
// coordinate-descent permutations from (std::mt19937, because INT_MAX is 2^31-1 on the
// platforms the lab runs on). Reproducing it is what lets the dual solver walk the same path
// as sklearn instead of merely reaching the same optimum.
type mt19937 struct {
	state [624]uint32
	next  int
}

func newMT19937(seed uint32) *mt19937 {
	m := &mt19937{}
	m.state[0] = seed
	for i := 1; i < len(m.state); i++ {
		prev := m.state[i-1]
		m.state[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	m.next = len(m.state)
	return m
}

func (m *mt19937) uint32() uint32 {
	const n, mid = 624, 397
	if m.next >= n {
		for i := 0; i < n; i++ {
			y := m.state[i]&0x80000000 | m.state[(i+1)%n]&0x7fffffff
			v := m.state[(i+mid)%n] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.state[i] = v
		}
		m.next = 0
	}
	y := m.state[m.next]
	m.next++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// bounded returns a value in [0, n) using the same Lemire multiply-and-reject mapping as
// sklearn's bounded_rand_int, so each draw consumes the generator exactly as sklearn does.
func (m *mt19937) bounded(n int) int {
	r := uint32(n)
	x := m.uint32()
	prod := uint64(x) * uint64(r)
	low := uint32(prod)
	if low < r {
		t := -r
		if t >= r {
			t -= r
			if t >= r {
				t %= r
			}
		}
		for low < t {
			x = m.uint32()
			prod = uint64(x) * uint64(r)
			low = uint32(prod)
		}
	}
	return int(prod >> 32)
}
