//! Butcher tableaux of the explicit Runge–Kutta methods (Hairer, Nørsett & Wanner,
//! *Solving ODEs I*, §II.1 and §II.5). Each method is only its tableau; one engine
//! ([`super::rk`]) runs them all, as in torchdiffeq.

/// An explicit Runge–Kutta method: `k_i = f(t + c_i h, x + h Σ_j a_ij k_j)`,
/// `x' = x + h Σ b_i k_i`; for embedded pairs `b_err = b - b̂` estimates the local error.
#[derive(Clone, Debug)]
pub struct Tableau {
    pub name: &'static str,
    pub c: &'static [f64],
    /// Lower-triangular rows: `a[i]` has `i` entries.
    pub a: &'static [&'static [f64]],
    pub b: &'static [f64],
    pub b_err: Option<&'static [f64]>,
    /// Order of the propagated solution.
    pub order: usize,
    /// First-same-as-last: the last stage equals `f` at the new point.
    pub fsal: bool,
}

impl Tableau {
    pub fn stages(&self) -> usize {
        self.c.len()
    }
}

/// Forward Euler, order 1.
pub const EULER: Tableau = Tableau {
    name: "euler",
    c: &[0.0],
    a: &[&[]],
    b: &[1.0],
    b_err: None,
    order: 1,
    fsal: false,
};

/// Explicit midpoint, order 2.
pub const MIDPOINT: Tableau = Tableau {
    name: "midpoint",
    c: &[0.0, 0.5],
    a: &[&[], &[0.5]],
    b: &[0.0, 1.0],
    b_err: None,
    order: 2,
    fsal: false,
};

/// Heun's method (explicit trapezoid), order 2.
pub const HEUN: Tableau = Tableau {
    name: "heun",
    c: &[0.0, 1.0],
    a: &[&[], &[1.0]],
    b: &[0.5, 0.5],
    b_err: None,
    order: 2,
    fsal: false,
};

/// The classical fourth-order Runge–Kutta method.
pub const RK4: Tableau = Tableau {
    name: "rk4",
    c: &[0.0, 0.5, 0.5, 1.0],
    a: &[&[], &[0.5], &[0.0, 0.5], &[0.0, 0.0, 1.0]],
    b: &[1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
    b_err: None,
    order: 4,
    fsal: false,
};

/// Dormand–Prince 5(4) (Dormand & Prince 1980; Hairer et al. Table II.5.2), FSAL.
pub const DOPRI5: Tableau = Tableau {
    name: "dopri5",
    c: &[0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0],
    a: &[
        &[],
        &[1.0 / 5.0],
        &[3.0 / 40.0, 9.0 / 40.0],
        &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
        &[
            19372.0 / 6561.0,
            -25360.0 / 2187.0,
            64448.0 / 6561.0,
            -212.0 / 729.0,
        ],
        &[
            9017.0 / 3168.0,
            -355.0 / 33.0,
            46732.0 / 5247.0,
            49.0 / 176.0,
            -5103.0 / 18656.0,
        ],
        &[
            35.0 / 384.0,
            0.0,
            500.0 / 1113.0,
            125.0 / 192.0,
            -2187.0 / 6784.0,
            11.0 / 84.0,
        ],
    ],
    b: &[
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
        0.0,
    ],
    b_err: Some(&[
        35.0 / 384.0 - 5179.0 / 57600.0,
        0.0,
        500.0 / 1113.0 - 7571.0 / 16695.0,
        125.0 / 192.0 - 393.0 / 640.0,
        -2187.0 / 6784.0 + 92097.0 / 339200.0,
        11.0 / 84.0 - 187.0 / 2100.0,
        -1.0 / 40.0,
    ]),
    order: 5,
    fsal: true,
};

/// Bogacki–Shampine 3(2) (Bogacki & Shampine 1989), FSAL; torchdiffeq's `bosh3`.
pub const BOSH3: Tableau = Tableau {
    name: "bosh3",
    c: &[0.0, 0.5, 0.75, 1.0],
    a: &[
        &[],
        &[0.5],
        &[0.0, 0.75],
        &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0],
    ],
    b: &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, 0.0],
    b_err: Some(&[
        2.0 / 9.0 - 7.0 / 24.0,
        1.0 / 3.0 - 1.0 / 4.0,
        4.0 / 9.0 - 1.0 / 3.0,
        -1.0 / 8.0,
    ]),
    order: 3,
    fsal: true,
};

/// Tsitouras 5(4) (Tsitouras 2011, Table 1), FSAL: the 5th-order weights `b` are the last
/// row of `a`; the embedded 4th-order weights are `b̂ = b − b_err`.
pub const TSIT5: Tableau = Tableau {
    name: "tsit5",
    c: &[0.0, 0.161, 0.327, 0.9, 0.980_025_540_904_509_7, 1.0, 1.0],
    a: &[
        &[],
        &[0.161],
        &[-0.008_480_655_492_356_989, 0.335_480_655_492_357],
        &[
            2.897_153_057_105_493_4,
            -6.359_448_489_975_075,
            4.362_295_432_869_581,
        ],
        &[
            5.325_864_828_439_257,
            -11.748_883_564_062_828,
            7.495_539_342_889_836,
            -0.092_495_066_361_755_25,
        ],
        &[
            5.861_455_442_946_42,
            -12.920_969_317_847_11,
            8.159_367_898_576_159,
            -0.071_584_973_281_401,
            -0.028_269_050_394_068_383,
        ],
        &[
            0.096_460_766_818_065_23,
            0.01,
            0.479_889_650_414_499_6,
            1.379_008_574_103_742,
            -3.290_069_515_436_080_7,
            2.324_710_524_099_774,
        ],
    ],
    b: &[
        0.096_460_766_818_065_23,
        0.01,
        0.479_889_650_414_499_6,
        1.379_008_574_103_742,
        -3.290_069_515_436_080_7,
        2.324_710_524_099_774,
        0.0,
    ],
    b_err: Some(&[
        0.001_780_011_052_225_771_4,
        0.000_816_434_459_656_746_9,
        -0.007_880_878_010_261_996,
        0.144_711_007_173_262_9,
        -0.582_357_165_452_555_2,
        0.458_082_105_929_186_95,
        -1.0 / 66.0,
    ]),
    order: 5,
    fsal: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tableaux_are_consistent() {
        for t in [EULER, MIDPOINT, HEUN, RK4, DOPRI5, BOSH3, TSIT5] {
            assert!((t.b.iter().sum::<f64>() - 1.0).abs() < 1e-13, "{}", t.name);
            for (i, row) in t.a.iter().enumerate() {
                assert_eq!(row.len(), i, "{}", t.name);
                assert!(
                    (row.iter().sum::<f64>() - t.c[i]).abs() < 1e-14,
                    "{} row {i}",
                    t.name
                );
            }
            if let Some(e) = t.b_err {
                assert!(e.iter().sum::<f64>().abs() < 1e-13, "{}", t.name);
            }
        }
    }
}
