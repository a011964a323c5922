//! The small dense matrix algebra the estimators need: products, a linear solve and the
//! Moore–Penrose inverse (as R's `MASS::ginv`, through nalgebra's singular value decomposition).

/// A dense matrix, row by row.
pub type Mat = Vec<Vec<f64>>;

pub fn matmul(a: &Mat, b: &Mat) -> Mat {
    let (n, m, p) = (a.len(), b.len(), b.first().map_or(0, Vec::len));
    let mut out = vec![vec![0.0; p]; n];
    for i in 0..n {
        for k in 0..m {
            let aik = a[i][k];
            if aik != 0.0 {
                for j in 0..p {
                    out[i][j] += aik * b[k][j];
                }
            }
        }
    }
    out
}

pub fn transpose(a: &Mat) -> Mat {
    let (n, m) = (a.len(), a.first().map_or(0, Vec::len));
    (0..m).map(|j| (0..n).map(|i| a[i][j]).collect()).collect()
}

pub fn mat_vec(a: &Mat, x: &[f64]) -> Vec<f64> {
    a.iter()
        .map(|row| row.iter().zip(x).map(|(u, v)| u * v).sum())
        .collect()
}

/// A⁻¹B by Gauss–Jordan elimination with partial pivoting; `None` when A is singular.
pub fn solve(a: &Mat, b: &Mat) -> Option<Mat> {
    let n = a.len();
    let p = b.first().map_or(0, Vec::len);
    let mut aug: Mat = a
        .iter()
        .zip(b)
        .map(|(ra, rb)| ra.iter().chain(rb).copied().collect())
        .collect();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| aug[i][col].abs().total_cmp(&aug[j][col].abs()))?;
        if aug[piv][col].abs() < 1e-300 {
            return None;
        }
        aug.swap(col, piv);
        let d = aug[col][col];
        for v in aug[col].iter_mut() {
            *v /= d;
        }
        for r in 0..n {
            if r != col {
                let f = aug[r][col];
                if f != 0.0 {
                    let pivot_row = aug[col].clone();
                    for (v, pv) in aug[r].iter_mut().zip(&pivot_row) {
                        *v -= f * pv;
                    }
                }
            }
        }
    }
    Some(aug.into_iter().map(|row| row[n..n + p].to_vec()).collect())
}

/// The Moore–Penrose inverse, keeping singular values above `tol` × the largest, as
/// `MASS::ginv(x, tol)` does.
pub fn ginv(a: &Mat, tol: f64) -> Mat {
    let (n, m) = (a.len(), a.first().map_or(0, Vec::len));
    if n == 0 || m == 0 {
        return vec![vec![0.0; n]; m];
    }
    let x = nalgebra::DMatrix::from_fn(n, m, |i, j| a[i][j]);
    let svd = x.svd(true, true);
    let (u, vt) = (svd.u.expect("asked for U"), svd.v_t.expect("asked for Vᵀ"));
    let d = &svd.singular_values;
    let largest = d.iter().copied().fold(0.0, f64::max);
    let mut out = vec![vec![0.0; n]; m];
    for (k, &s) in d.iter().enumerate() {
        if s > (tol * largest).max(0.0) {
            for i in 0..m {
                let vik = vt[(k, i)] / s;
                if vik != 0.0 {
                    for j in 0..n {
                        out[i][j] += vik * u[(j, k)];
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ginv_inverts_a_regular_matrix_and_pseudo_inverts_a_singular_one() {
        let a = vec![vec![4.0, 1.0], vec![1.0, 3.0]];
        let i = matmul(&a, &ginv(&a, 1e-12));
        assert!((i[0][0] - 1.0).abs() < 1e-12 && i[0][1].abs() < 1e-12);
        // Rank one: A A⁺ A = A.
        let s = vec![vec![1.0, 2.0], vec![2.0, 4.0]];
        let back = matmul(&matmul(&s, &ginv(&s, 1e-12)), &s);
        for (r, q) in back.iter().zip(&s) {
            for (x, y) in r.iter().zip(q) {
                assert!((x - y).abs() < 1e-12);
            }
        }
    }
}
