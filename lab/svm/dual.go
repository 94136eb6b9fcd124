package svm

import "math"

// dualCD solves liblinear's L2R_L2LOSS_SVC_DUAL problem
//
//	min_α ½ αᵀ(Q + D)α − eᵀα,  α ≥ 0,  Q_ij = y_i y_j x_iᵀx_j,  D_ii = 1/(2 C_i)
//
// by randomly permuted coordinate descent with shrinking (Hsieh et al., ICML 2008), keeping
// w = Σ α_i y_i x_i up to date. Rows are visited in the order rng dictates and every sum runs
// left to right, so with sklearn's seed the iterates match sklearn's to the last bit. It stops
// when the projected-gradient spread over all (unshrunk) coordinates is at most eps and
// returns the number of outer passes.
func dualCD(x *dense, y, c, w []float64, eps float64, maxIter int, rng *mt19937) int {
	l := x.rows
	qd := make([]float64, l)
	diag := make([]float64, l)
	alpha := make([]float64, l)
	index := make([]int, l)
	clear(w)
	for i := 0; i < l; i++ {
		diag[i] = 0.5 / c[i]
		qd[i] = diag[i]
		for _, v := range x.row(i) {
			qd[i] += float64(v * v)
		}
		index[i] = i
	}

	// Shrinking threshold from the previous pass: a coordinate at α = 0 whose gradient points
	// further out than every violation seen last pass is unlikely to move again. (liblinear
	// also tracks the lower end, but it only matters at an upper bound, which the L2-loss dual
	// does not have.)
	pgMaxOld := math.Inf(1)
	active := l
	iter := 0
	for iter < maxIter {
		pgMax, pgMin := math.Inf(-1), math.Inf(1)
		for i := 0; i < active; i++ {
			j := i + rng.bounded(active-i)
			index[i], index[j] = index[j], index[i]
		}
		for s := 0; s < active; s++ {
			i := index[s]
			xi := x.row(i)
			g := float64(dotSeq(w, xi)*y[i]) - 1 + float64(alpha[i]*diag[i])

			pg := 0.0
			if alpha[i] == 0 {
				if g > pgMaxOld {
					active--
					index[s], index[active] = index[active], index[s]
					s--
					continue
				}
				if g < 0 {
					pg = g
				}
			} else {
				// The L2-loss dual has no upper bound, so any α_i > 0 is free.
				pg = g
			}
			pgMax = math.Max(pgMax, pg)
			pgMin = math.Min(pgMin, pg)

			if math.Abs(pg) > 1e-12 {
				old := alpha[i]
				alpha[i] = math.Max(alpha[i]-g/qd[i], 0)
				axpy((alpha[i]-old)*y[i], xi, w)
			}
		}
		iter++

		if pgMax-pgMin <= eps {
			if active == l {
				break
			}
			// Converged on the shrunk set only: re-check everything before stopping.
			active = l
			pgMaxOld = math.Inf(1)
			continue
		}
		pgMaxOld = pgMax
		if pgMaxOld <= 0 {
			pgMaxOld = math.Inf(1)
		}
	}
	return iter
}
