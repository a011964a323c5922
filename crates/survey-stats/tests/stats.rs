//! Edge cases and errors; agreement with R is in the workspace test `r_reference`.

use survey_stats::hypothesis::{fisher_2x2, pearson};
use survey_stats::intervals::{WeightedProportion, clopper_pearson, logit, wilson};
use survey_stats::rake::{RakeError, Variable, rake};

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

fn var(name: &str, cats: usize, of: Vec<Option<usize>>, targets: Vec<Option<f64>>) -> Variable {
    Variable {
        name: name.into(),
        categories: (0..cats).map(|c| format!("c{c}")).collect(),
        of_respondent: of,
        targets,
    }
}

#[test]
fn raking_refuses_to_give_wrong_weights() {
    let of = vec![Some(0), Some(1), Some(1), Some(0)];
    let ok = var("a", 2, of.clone(), vec![Some(0.5), Some(0.5)]);
    let r = rake(&[ok], &[1.0; 4], 1e-10, 50, None).unwrap();
    assert!(r.converged && (r.weights.iter().sum::<f64>() - 4.0).abs() < 1e-12);
    let cases: Vec<(Vec<Variable>, &str)> = vec![
        (
            vec![
                var("a", 2, of.clone(), vec![Some(0.5), Some(0.5)]),
                var("b", 2, of.clone(), vec![Some(3.0), Some(2.0)]),
            ],
            "every margin must describe the same population",
        ),
        (
            vec![var(
                "a",
                2,
                vec![Some(0), None, Some(1), Some(0)],
                vec![Some(0.5), Some(0.5)],
            )],
            "1 respondent(s) have no value",
        ),
        (
            vec![var("a", 2, of.clone(), vec![Some(1.0), None])],
            "category `c1` has 2 respondent(s) but no population margin",
        ),
        (
            vec![var(
                "a",
                3,
                of.clone(),
                vec![Some(0.4), Some(0.4), Some(0.2)],
            )],
            "category `c2` has a population margin of 0.2 but no respondent",
        ),
    ];
    for (vars, msg) in cases {
        let e = rake(&vars, &[1.0; 4], 1e-10, 50, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains(msg), "{e}");
    }
    // Two margins that fight each other within a single sweep do not converge in one.
    let a = var(
        "a",
        2,
        vec![Some(0), Some(0), Some(1), Some(1), Some(0)],
        vec![Some(0.5), Some(0.5)],
    );
    let b = var(
        "b",
        2,
        vec![Some(0), Some(1), Some(0), Some(1), Some(1)],
        vec![Some(0.2), Some(0.8)],
    );
    let e = rake(&[a, b], &[1.0; 5], 1e-14, 1, None).unwrap_err();
    assert!(
        matches!(e, RakeError::NotConverged { iterations: 1, .. }),
        "{e}"
    );
}
