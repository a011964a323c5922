//! Edge cases and errors; agreement with R is in the workspace test `r_reference`.

use survey_stats::hypothesis::{fisher_2x2, pearson};
use survey_stats::intervals::{WeightedProportion, clopper_pearson, logit, wilson};
use survey_stats::weighting::{Patterns, RakeError, Settings, Variable, calibrate};

#[test]
fn intervals_at_the_edges() {
    let w = wilson(0, 20, 0.95).unwrap();
    assert_eq!(w.lower, 0.0);
    assert!(w.upper > 0.1 && w.upper < 0.2);
    let cp = clopper_pearson(20, 20, 0.95).unwrap();
    assert_eq!(cp.upper, 1.0);
    assert!((cp.lower - 0.8315665).abs() < 1e-6, "{}", cp.lower); // 0.025^(1/20)
    assert!(logit(0, 20, 0.95).is_none(), "the logit of 0 is undefined");
    assert!(wilson(1, 0, 0.95).is_none());
    // Every weight 1: the design variance is p(1-p)/(n-1).
    let u = WeightedProportion::unweighted(30, 100).unwrap();
    assert!((u.variance - 0.3 * 0.7 / 99.0).abs() < 1e-15);
    for (x, n) in [(1, 10), (5, 10), (50, 720), (719, 720)] {
        for i in [
            wilson(x, n, 0.95).unwrap(),
            clopper_pearson(x, n, 0.95).unwrap(),
            logit(x, n, 0.95).unwrap(),
        ] {
            assert!(
                i.lower <= i.estimate && i.estimate <= i.upper && i.lower >= 0.0 && i.upper <= 1.0,
                "{i:?}"
            );
        }
    }
}

#[test]
fn chi_square_drops_empty_lines_and_warns_on_small_expectations() {
    let t = vec![
        vec![10.0, 0.0, 12.0],
        vec![0.0, 0.0, 0.0],
        vec![3.0, 0.0, 9.0],
    ];
    let c = pearson(&t).unwrap();
    assert_eq!(c.df, 1);
    assert!(c.small_expected);
    assert!(pearson(&[vec![1.0, 2.0]]).is_none());
    // Fisher is symmetric in transposition.
    assert!((fisher_2x2(3, 7, 9, 2) - fisher_2x2(3, 9, 7, 2)).abs() < 1e-15);
    assert!((fisher_2x2(5, 5, 5, 5) - 1.0).abs() < 1e-12);
}

/// One raking variable's categories for each respondent, and its margins.
fn var(name: &str, cats: usize, targets: Vec<Option<f64>>) -> Variable {
    Variable {
        name: name.into(),
        categories: (0..cats).map(|c| format!("c{c}")).collect(),
        targets,
    }
}

fn count(of: &[Vec<Option<usize>>]) -> Patterns {
    let mut p = Patterns::new(of.len());
    for i in 0..of[0].len() {
        p.add(&of.iter().map(|v| v[i]).collect::<Vec<_>>());
    }
    p
}

fn settings(epsilon: f64, max_iterations: u32) -> Settings {
    Settings {
        epsilon,
        max_iterations,
        bounds: None,
        allow_unconverged: false,
    }
}

#[test]
fn raking_refuses_to_give_wrong_weights() {
    let of = vec![Some(0), Some(1), Some(1), Some(0)];
    let ok = var("a", 2, vec![Some(0.5), Some(0.5)]);
    let r = calibrate(
        &[ok],
        &count(std::slice::from_ref(&of)),
        settings(1e-10, 50),
    )
    .unwrap();
    assert!(r.converged && (r.g.iter().sum::<f64>() - 2.0).abs() < 1e-12);
    type Case<'a> = (Vec<Variable>, Vec<Vec<Option<usize>>>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![
                var("a", 2, vec![Some(0.5), Some(0.5)]),
                var("b", 2, vec![Some(3.0), Some(2.0)]),
            ],
            vec![of.clone(), of.clone()],
            "every margin must describe the same population",
        ),
        (
            vec![var("a", 2, vec![Some(0.5), Some(0.5)])],
            vec![vec![Some(0), None, Some(1), Some(0)]],
            "1 respondent(s) have no value",
        ),
        (
            vec![var("a", 2, vec![Some(1.0), None])],
            vec![of.clone()],
            "category `c1` has 2 respondent(s) but no population margin",
        ),
        (
            vec![var("a", 3, vec![Some(0.4), Some(0.4), Some(0.2)])],
            vec![of.clone()],
            "category `c2` has a population margin of 0.2 but no respondent",
        ),
    ];
    for (vars, of, msg) in cases {
        let e = calibrate(&vars, &count(&of), settings(1e-10, 50))
            .unwrap_err()
            .to_string();
        assert!(e.contains(msg), "{e}");
    }
    // Two margins that fight each other are not met in one step, and the error says so with
    // the shares reached.
    let a = var("a", 2, vec![Some(0.5), Some(0.5)]);
    let b = var("b", 2, vec![Some(0.2), Some(0.8)]);
    let of = vec![
        vec![Some(0), Some(0), Some(1), Some(1), Some(0)],
        vec![Some(0), Some(1), Some(0), Some(1), Some(1)],
    ];
    let e = calibrate(&[a, b], &count(&of), settings(1e-14, 1)).unwrap_err();
    assert!(
        matches!(e, RakeError::NotConverged { iterations: 1, .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("`b`: c0 target 20.00% reached"),
        "{e}"
    );
}
