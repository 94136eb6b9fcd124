package svm

import "math"

// squaredHingeObjective is liblinear's L2R_L2LOSS_SVC primal:
//
//	f(w) = ½‖w‖² + Σ_i C_i · max(0, 1 − y_i wᵀx_i)²
//
// The bias column is part of x, so the intercept is regularised exactly as in liblinear.
type squaredHingeObjective struct {
	x *dense
	y []float64 // ±1
	c []float64 // per-sample C (Cp for positives, Cn for negatives)

	margin []float64 // y_i wᵀx_i after fun; grad overwrites its head with loss coefficients
	coef   []float64 // C_i y_i (margin_i − 1) for the active set
	active []int     // rows with margin < 1: the generalised Hessian only involves these
	tmp    []float64 // X_active · s
	parts  [][]float64
}

func newSquaredHinge(x *dense, y, c []float64) *squaredHingeObjective {
	chunks := (x.rows + chunkRows - 1) / chunkRows
	parts := make([][]float64, chunks)
	for i := range parts {
		parts[i] = make([]float64, x.cols)
	}
	return &squaredHingeObjective{
		x: x, y: y, c: c,
		margin: make([]float64, x.rows),
		coef:   make([]float64, x.rows),
		active: make([]int, 0, x.rows),
		tmp:    make([]float64, x.rows),
		parts:  parts,
	}
}

func (o *squaredHingeObjective) fun(w []float64) float64 {
	forChunks(o.x.rows, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			o.margin[i] = o.y[i] * dot(o.x.row(i), w)
		}
	})
	f := 0.0
	for _, v := range w {
		f += float64(v * v)
	}
	f /= 2
	for i, m := range o.margin {
		if d := 1 - m; d > 0 {
			f += float64(o.c[i] * d * d)
		}
	}
	return f
}

// grad must follow fun at the same w: it reuses the margins fun left behind, as liblinear does.
func (o *squaredHingeObjective) grad(w, g []float64) {
	o.active = o.active[:0]
	for i, m := range o.margin {
		if m < 1 {
			o.coef[len(o.active)] = o.c[i] * o.y[i] * (m - 1)
			o.active = append(o.active, i)
		}
	}
	o.activeXTv(o.coef, g)
	for j := range g {
		g[j] = w[j] + 2*g[j]
	}
}

// hv is the generalised Hessian-vector product (I + 2 X_Iᵀ C_I X_I) s at the last grad point.
func (o *squaredHingeObjective) hv(s, hs []float64) {
	forChunks(len(o.active), func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			i := o.active[k]
			o.tmp[k] = o.c[i] * dot(o.x.row(i), s)
		}
	})
	o.activeXTv(o.tmp, hs)
	for j := range hs {
		hs[j] = s[j] + 2*hs[j]
	}
}

// activeXTv computes out = Σ_k v[k] x_{active[k]}, with per-chunk partial sums reduced in
// chunk order so the result does not depend on scheduling.
func (o *squaredHingeObjective) activeXTv(v, out []float64) {
	n := len(o.active)
	forChunks(n, func(c, lo, hi int) {
		p := o.parts[c]
		clear(p)
		for k := lo; k < hi; k++ {
			axpy(v[k], o.x.row(o.active[k]), p)
		}
	})
	clear(out)
	chunks := (n + chunkRows - 1) / chunkRows
	for c := 0; c < chunks; c++ {
		axpy(1, o.parts[c], out)
	}
}

// tron minimises obj from w = 0 with liblinear's trust-region Newton method (the TRON of
// Lin & Moré as shipped in scikit-learn's bundled liblinear, not the line-search Newton of
// liblinear ≥ 2.20). It stops when ‖∇f(w)‖ ≤ eps·‖∇f(0)‖ and returns the number of accepted
// Newton steps, which is what sklearn reports as n_iter_.
func tron(obj *squaredHingeObjective, w []float64, eps float64, maxIter int) int {
	const (
		eta0, eta1, eta2       = 1e-4, 0.25, 0.75 // step acceptance / radius-update thresholds
		sigma1, sigma2, sigma3 = 0.25, 0.5, 4.0   // radius shrink / grow factors
	)
	n := len(w)
	s := make([]float64, n)
	r := make([]float64, n)
	wNew := make([]float64, n)
	g := make([]float64, n)
	cg := newCGWork(n)

	clear(w)
	f := obj.fun(w)
	obj.grad(w, g)
	delta := nrm2(g)
	gnorm0 := delta
	if gnorm0 <= eps*gnorm0 { // only when the gradient at 0 is exactly 0
		return 0
	}

	iter := 1
	for iter <= maxIter {
		cg.solve(obj, delta, g, s, r)

		copy(wNew, w)
		axpy(1, s, wNew)
		gs := dot(g, s)
		prered := -0.5 * (gs - dot(s, r))
		fNew := obj.fun(wNew)
		actred := f - fNew

		snorm := nrm2(s)
		if iter == 1 {
			delta = math.Min(delta, snorm)
		}

		// Step length the quadratic interpolation along s would have chosen.
		var alpha float64
		if fNew-f-gs <= 0 {
			alpha = sigma3
		} else {
			alpha = math.Max(sigma1, -0.5*(gs/(fNew-f-gs)))
		}

		switch {
		case actred < eta0*prered:
			delta = math.Min(math.Max(alpha, sigma1)*snorm, sigma2*delta)
		case actred < eta1*prered:
			delta = math.Max(sigma1*delta, math.Min(alpha*snorm, sigma2*delta))
		case actred < eta2*prered:
			delta = math.Max(sigma1*delta, math.Min(alpha*snorm, sigma3*delta))
		default:
			delta = math.Max(delta, math.Min(alpha*snorm, sigma3*delta))
		}

		// A rejected step leaves fun's margins describing wNew, but hv only reads the active set
		// grad built at w, so the next CG solve still uses w's Hessian, as liblinear's does.
		if actred > eta0*prered {
			iter++
			copy(w, wNew)
			f = fNew
			obj.grad(w, g)
			if nrm2(g) <= eps*gnorm0 {
				break
			}
		}
		if f < -1e32 {
			break
		}
		if math.Abs(actred) <= 0 && prered <= 0 {
			break
		}
		if math.Abs(actred) <= 1e-12*math.Abs(f) && math.Abs(prered) <= 1e-12*math.Abs(f) {
			break
		}
	}
	return iter - 1
}

type cgWork struct{ d, hd []float64 }

func newCGWork(n int) *cgWork { return &cgWork{d: make([]float64, n), hd: make([]float64, n)} }

// solve approximately minimises the quadratic model gᵀs + ½sᵀHs inside ‖s‖ ≤ delta with
// conjugate gradients, stopping at 0.1‖g‖ residual or on the trust-region boundary. On return
// r holds the residual −g − Hs, which tron uses for the predicted reduction.
func (cg *cgWork) solve(obj *squaredHingeObjective, delta float64, g, s, r []float64) int {
	d, hd := cg.d, cg.hd
	for i := range g {
		s[i] = 0
		r[i] = -g[i]
		d[i] = r[i]
	}
	cgtol := 0.1 * nrm2(g)
	iters := 0
	rTr := dot(r, r)
	for nrm2(r) > cgtol {
		iters++
		obj.hv(d, hd)
		alpha := rTr / dot(d, hd)
		axpy(alpha, d, s)
		if nrm2(s) > delta {
			// Back off and step exactly to the boundary along d: solve ‖s + τd‖ = delta for τ ≥ 0.
			axpy(-alpha, d, s)
			std := dot(s, d)
			sts := dot(s, s)
			dtd := dot(d, d)
			dsq := delta * delta
			rad := math.Sqrt(std*std + dtd*(dsq-sts))
			var tau float64
			if std >= 0 {
				tau = (dsq - sts) / (std + rad)
			} else {
				tau = (rad - std) / dtd
			}
			axpy(tau, d, s)
			axpy(-tau, hd, r)
			break
		}
		axpy(-alpha, hd, r)
		rnew := dot(r, r)
		beta := rnew / rTr
		for i := range d {
			d[i] = float64(beta*d[i]) + r[i]
		}
		rTr = rnew
	}
	return iters
}
