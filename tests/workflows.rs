//! The GitHub workflows (`.github/workflows/`), read as GitHub reads them: they cannot run here
//! (no network beyond the registries), so what can be checked without running them is checked.
//!
//! From c7a24e5 on, `bench.yml` held a step GitHub would refuse to load (a plain scalar with
//! `": "` in it), and nothing here parsed it.

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

fn workflows() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml" || ext == "yaml"))
        .collect();
    files.sort();
    files
}

/// Every problem of one workflow, in words; empty when none. `exists` says whether a script a
/// `run` step starts (`scripts/...`) is in the repository.
fn problems(text: &str, exists: &dyn Fn(&str) -> bool) -> Vec<String> {
    let documents = match YamlLoader::load_from_str(text) {
        Ok(documents) => documents,
        Err(err) => return vec![format!("is not YAML: {err}")],
    };
    let [workflow] = documents.as_slice() else {
        return vec![format!("holds {} YAML documents, not one", documents.len())];
    };
    let mut problems = Vec::new();
    if workflow["on"].is_badvalue() {
        problems.push("has no `on`".to_owned());
    }
    let Some(jobs) = workflow["jobs"].as_hash() else {
        problems.push("has no `jobs` mapping".to_owned());
        return problems;
    };
    let job_names: Vec<&str> = jobs.keys().filter_map(Yaml::as_str).collect();
    for (name, job) in jobs {
        let name = name.as_str().unwrap_or("?");
        if job["runs-on"].is_badvalue() {
            problems.push(format!("job {name} has no `runs-on`"));
        }
        let needs = match &job["needs"] {
            Yaml::String(one) => vec![one.as_str()],
            Yaml::Array(many) => many.iter().filter_map(Yaml::as_str).collect(),
            _ => Vec::new(),
        };
        for need in needs.iter().filter(|need| !job_names.contains(need)) {
            problems.push(format!("job {name} needs {need}, which is no job of this workflow"));
        }
        let Some(steps) = job["steps"].as_vec() else {
            problems.push(format!("job {name} has no `steps` list"));
            continue;
        };
        let ids: Vec<&str> = steps.iter().filter_map(|step| step["id"].as_str()).collect();
        for (index, step) in steps.iter().enumerate() {
            let what = format!("job {name}, step {}", index + 1);
            match (step["run"].as_str(), step["uses"].as_str()) {
                (Some(_), Some(_)) => problems.push(format!("{what} has both `run` and `uses`")),
                (None, None) => problems.push(format!("{what} has neither a `run` string nor a `uses`")),
                _ => {}
            }
            for script in step["run"].as_str().map(scripts_named).unwrap_or_default() {
                if !exists(&script) {
                    problems.push(format!("{what} runs {script}, which is not in the repository"));
                }
            }
            // `steps.<id>.` in an expression of this job names one of its steps.
            let mut texts: Vec<&str> = step["run"].as_str().into_iter().collect();
            texts.extend(step["if"].as_str());
            for text in texts {
                for reference in text.split("steps.").skip(1) {
                    let id = reference.split('.').next().unwrap_or_default();
                    if !ids.contains(&id) {
                        problems.push(format!("{what} reads steps.{id}, which is no step id of job {name}"));
                    }
                }
            }
        }
    }
    problems
}

/// The repository's scripts a workflow's `run` steps start (`scripts/...`).
fn scripts_named(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .filter(|word| word.starts_with("scripts/"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_workflow_is_one_github_would_load_and_names_only_what_exists() {
    let files = workflows();
    let names: Vec<String> = files
        .iter()
        .map(|path| path.file_name().unwrap_or_default().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"bench.yml".to_owned()) && names.contains(&"scaling.yml".to_owned()),
        "{names:?}"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let exists = |script: &str| root.join(script).is_file();
        found.extend(
            problems(&text, &exists).into_iter().map(|problem| format!("{}: {problem}", path.display())),
        );
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_checks_find_what_github_would_refuse() {
    let step = |run: &str| {
        format!(
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: bench\n        run: {run}\n"
        )
    };
    let none = |_: &str| false;
    assert_eq!(problems(&step("echo fine"), &none), Vec::<String>::new());
    // The line bench.yml had: a plain scalar may not hold ": ".
    let refused = problems(&step("echo \"::warning::inconclusive (exit 3): re-run\" and more: text"), &none);
    assert!(refused.len() == 1 && refused[0].starts_with("is not YAML"), "{refused:?}");
    let unknown = problems(
        "on: push\njobs:\n  a:\n    runs-on: x\n    needs: b\n    steps:\n      - if: steps.gate.outputs.code == '3'\n        run: scripts/gone.sh\n      - name: nothing\n",
        &none,
    );
    assert_eq!(
        unknown,
        [
            "job a needs b, which is no job of this workflow",
            "job a, step 1 runs scripts/gone.sh, which is not in the repository",
            "job a, step 1 reads steps.gate, which is no step id of job a",
            "job a, step 2 has neither a `run` string nor a `uses`",
        ]
    );
    assert_eq!(scripts_named("set +e\nscripts/ci-bench.sh --quick \"x\""), ["scripts/ci-bench.sh"]);
}
