import Foundation
import PTBCore
import Testing
@testable import PTBTasks

let requireIntegration = ProcessInfo.processInfo.environment["PTB_REQUIRE_INTEGRATION"] == "1"

/// The BFCL data imported into PTB_TEST_HOME by scripts/test.sh (`ptb data import bfcl` of the
/// pinned bfcl-eval wheel); nil (and a failure in CI) when it is not there.
func importedBFCLHome(sourceLocation: SourceLocation = #_sourceLocation) -> PTBHome? {
    if let p = ProcessInfo.processInfo.environment["PTB_TEST_HOME"] {
        let home = PTBHome(root: URL(fileURLWithPath: p))
        if TaskDataStore(home: home).status([BFCLTask()]).allSatisfy({ $0.state == .ok }) { return home }
    }
    #expect(!requireIntegration, "PTB_TEST_HOME must hold imported BFCL data (scripts/test.sh imports bfcl-eval's)", sourceLocation: sourceLocation)
    return nil
}

/// Tool calls built from a possible answer: per parameter the first allowed value (dict values
/// and dicts in lists unwrapped the same way), optional parameters the document lacks left out,
/// names with `.` → `_` as sent to the server. The same rule as scripts/bfcl/golden_cases.py.
func referenceCalls(_ sample: Sample) throws -> [ToolCall] {
    let answer = try PyParser.json(sample.target).listItems ?? []
    let functions = try PyParser.json(sample.metadata?["functions"] ?? "[]").listItems ?? []
    func first(_ values: PyValue) -> PyValue? { values.listItems?.first { !PyValue.pyEqual($0, .string("")) } }
    func unwrap(_ d: PyValue) -> PyValue {
        .dict((d.dictPairs ?? []).compactMap { k, vs in first(vs).map { (k, $0) } })
    }
    return answer.map { item in
        let (name, params) = item.dictPairs![0]
        let props = functions.first { $0["name"]?.stringValue == name }?["parameters"]?["properties"]
        var args: [(String, PyValue)] = []
        for (p, values) in params.dictPairs ?? [] {
            guard var v = first(values) else { continue }
            let schema = props?[p]
            if PyValue.string("").isIn(values.listItems ?? []), schema == nil { continue }
            if schema?["type"]?.stringValue == "dict", v.dictPairs != nil { v = unwrap(v) }
            if schema?["type"]?.stringValue == "array", schema?["items"]?["type"]?.stringValue == "dict", let xs = v.listItems {
                v = .list(xs.map { $0.dictPairs != nil ? unwrap($0) : $0 })
            }
            args.append((p, v))
        }
        return ToolCall(name: name.replacingOccurrences(of: ".", with: "_"), arguments: PyValue.dict(args).json)
    }
}

@Suite struct PyValueTests {
    @Test func jsonKeepsIntAndFloatApartButEqualityFollowsPython() throws {
        let v = try PyParser.json(#"{"a": 1, "b": 1.0, "c": true, "d": [1, 2.5e3], "e": "x\u00e9", "f": null}"#)
        #expect(v["a"]?.typeName == "int")
        #expect(v["b"]?.typeName == "float")
        #expect(v["c"]?.typeName == "bool")
        #expect(v["e"]?.stringValue == "xé")
        #expect(PyValue.pyEqual(v["a"]!, v["b"]!))
        #expect(PyValue.pyEqual(v["a"]!, v["c"]!))
        #expect(PyValue.pyEqual(try PyParser.json(#"{"y": 2, "x": 1}"#), try PyParser.json(#"{"x": 1.0, "y": 2}"#)))
        #expect(!PyValue.pyEqual(.list([.int(1)]), .tuple([.int(1)])))
        #expect(throws: PyParseError.self) { try PyParser.json("{'a': 1}") }
        #expect(throws: PyParseError.self) { try PyParser.json("{\"a\": 1} x") }
    }

    @Test func pythonCallsParseAsLiteralEvalReadsThem() throws {
        let c = try PyParser.call("calc(n=20, k=-5, p=0.6, v=[0.5, 0.7], t=(1, 2), s='it\\'s', flag=True, d={'a': None})")
        #expect(c.name == "calc")
        #expect(c.arguments.map(\.0) == ["n", "k", "p", "v", "t", "s", "flag", "d"])
        let args = PyValue.dict(c.arguments)
        #expect(args["k"]?.description == "-5")
        #expect(args["t"]?.typeName == "tuple")
        #expect(args["s"]?.stringValue == "it's")
        #expect(args.jsonRoundTripped["t"]?.typeName == "list")
        #expect(args.jsonRoundTripped.json.contains(#""t": [1, 2]"#))
    }
}

@Suite struct BFCLCheckerTests {
    let doc = try! PyParser.json("""
        [{"name": "geo.distance", "description": "d", "parameters": {"type": "dict", "properties": {
          "city": {"type": "string", "description": "c"},
          "km": {"type": "float", "description": "k"},
          "points": {"type": "tuple", "items": {"type": "integer"}, "description": "p"},
          "opts": {"type": "dict", "description": "o", "properties": {"mode": {"type": "string"}}},
          "round": {"type": "boolean", "description": "r"}},
          "required": ["city", "km"]}}]
        """).listItems!
    let answer = try! PyParser.json("""
        [{"geo.distance": {"city": ["New York, NY", "NYC"], "km": [10.0], "points": [[1, 2]], "opts": [{"mode": ["fast"]}, ""], "round": ["", false]}}]
        """).listItems!

    func check(_ calls: [ToolCall]?, category: String = "simple_python") -> BFCLChecker.Verdict {
        BFCLChecker.evaluate(category: category, functions: doc, possibleAnswer: answer, toolCalls: calls)
    }

    @Test func officialConversionsAndNormalisation() {
        // int for float, tuple given as a JSON list, string punctuation/case ignored, optional left out.
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "new york ny", "km": 10, "points": [1, 2]}"#)]).valid)
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "NYC", "km": 10.0, "points": [1, 2], "round": false, "opts": {"mode": "FAST"}}"#)]).valid)
        // The name as in the document (with a dot) is not what the checker expects from an FC model.
        #expect(check([ToolCall(name: "geo.distance", arguments: #"{"city": "NYC", "km": 10, "points": [1, 2]}"#)]).errorType == "simple_function_checker:wrong_func_name")
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "NYC", "points": [1, 2]}"#)]).errorType == "simple_function_checker:missing_required")
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "NYC", "km": 10}"#)]).errorType == "simple_function_checker:missing_optional")
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "NYC", "km": "10", "points": [1, 2]}"#)]).errorType == "type_error:simple")
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "Boston", "km": 10, "points": [1, 2]}"#)]).errorType == "value_error:string")
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "NYC", "km": 10, "points": [2, 1]}"#)]).errorType == "value_error:list/tuple")
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "NYC", "km": 10, "points": [1, 2], "opts": {"mode": "slow"}}"#)]).errorType == "value_error:dict_value")
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "NYC", "km": 10, "points": [1, 2], "x": 1}"#)]).errorType == "simple_function_checker:unexpected_param")
        #expect(check([ToolCall(name: "geo_distance", arguments: #"{"city": "NYC", "km": 10, "points": [1, 2], "round": 0}"#)]).errorType == "type_error:simple")
        #expect(check(nil).errorType == "ast_decoder:decoder_failed")
        #expect(check([ToolCall(name: "geo_distance", arguments: "[1]")]).errorType == "ast_decoder:decoder_wrong_output_format")
        #expect(check([ToolCall(name: "geo_distance", arguments: "{}"), ToolCall(name: "geo_distance", arguments: "{}")]).errorType == "simple_function_checker:wrong_count")
    }

    @Test func parallelCallsMatchInAnyOrderAndIrrelevanceWantsNoCall() {
        let two = answer + [.dict([("geo.distance", try! PyParser.json(#"{"city": ["Paris"], "km": [5.5], "points": [[3]]}"#))])]
        let a = ToolCall(name: "geo_distance", arguments: #"{"city": "NYC", "km": 10, "points": [1, 2]}"#)
        let b = ToolCall(name: "geo_distance", arguments: #"{"city": "paris", "km": 5.5, "points": [3]}"#)
        for calls in [[a, b], [b, a]] {
            #expect(BFCLChecker.evaluate(category: "parallel", functions: doc, possibleAnswer: two, toolCalls: calls).valid)
        }
        #expect(BFCLChecker.evaluate(category: "parallel", functions: doc, possibleAnswer: two, toolCalls: [a, a]).errorType
                    == "parallel_function_checker_no_order:cannot_find_match")
        #expect(BFCLChecker.evaluate(category: "parallel", functions: doc, possibleAnswer: two, toolCalls: [a]).errorType
                    == "parallel_function_checker_no_order:wrong_count")
        #expect(check(nil, category: "irrelevance").valid)
        #expect(check([ToolCall(name: "geo_distance", arguments: "not json")], category: "irrelevance").valid)
        #expect(check([ToolCall(name: "geo_distance", arguments: "[]")], category: "irrelevance").valid)
        #expect(!check([ToolCall(name: "geo_distance", arguments: "{}")], category: "irrelevance").valid)
    }

    @Test func categoryIsReadFromTheID() {
        #expect(BFCLASTTask.category(ofID: "simple_python_0") == "simple_python")
        #expect(BFCLASTTask.category(ofID: "parallel_multiple_3") == "parallel_multiple")
        #expect(BFCLASTTask.category(ofID: "irrelevance_7") == "irrelevance")
        #expect(BFCLASTTask.category(ofID: "multiple_12") == "multiple")
    }

    @Test func officialToolsRenameDotsMapTypesAndAddHints() throws {
        let tools = try PyParser.json(BFCLTools.official(doc))
        let fn = try #require(tools.listItems?.first?["function"])
        #expect(tools.listItems?.first?["type"]?.stringValue == "function")
        #expect(fn["name"]?.stringValue == "geo_distance")
        #expect(fn["description"]?.stringValue == "d Note that the provided function is in Python 3 syntax.")
        #expect(fn["parameters"]?["type"]?.stringValue == "object")
        let km = fn["parameters"]?["properties"]?["km"]
        #expect(km?["type"]?.stringValue == "number")
        #expect(km?["format"]?.stringValue == "float")
        #expect(km?["description"]?.stringValue == "k This is a float type value.")
        #expect(fn["parameters"]?["properties"]?["points"]?["type"]?.stringValue == "array")
        #expect(fn["parameters"]?["properties"]?["opts"]?["type"]?.stringValue == "object")
    }
}

/// Against the real bfcl-eval data (imported by scripts/test.sh).
@Suite struct BFCLDataTests {
    @Test func groundTruthScoresFullMarksOnEveryCategory() throws {
        guard let home = importedBFCLHome() else { return }
        for task in BFCLASTTask.all where task.id != "bfcl-ast" {
            let samples = try task.samples(home: home)
            #expect(samples.count == task.categories.reduce(0) { $0 + (BFCLTask().upstreamRows[$1] ?? 0) })
            let wrong = try samples.filter { s in
                let calls = task.categories == ["irrelevance"] ? nil : try referenceCalls(s)
                return !task.score(s, completion: "", toolCalls: calls).correct
            }
            #expect(wrong.isEmpty, "\(task.id): \(wrong.prefix(3).map(\.id))")
        }
        let exec = try BFCLTask().samples(home: home)
        #expect(exec.count == 100)
        #expect(exec[0].id == "exec_simple_0")
        #expect(exec[0].target == "calc_binomial_probability(n=20, k=5, p=0.6)")
        for s in exec {
            let call = ToolCall(name: s.metadata!["function"]!, arguments: s.metadata!["arguments"]!)
            #expect(BFCLTask().score(s, completion: "", toolCalls: [call]).correct, "\(s.id)")
        }
        // The same call twice, or a float where the ground truth's int is, as inspect's bfcl_scorer.
        let s0 = exec[0]
        #expect(!BFCLTask().score(s0, completion: "", toolCalls: [ToolCall(name: "calc_binomial_probability", arguments: #"{"n": 20, "k": 5, "p": 0.6}"#),
                                                                  ToolCall(name: "calc_binomial_probability", arguments: #"{"n": 20, "k": 5, "p": 0.6}"#)]).correct)
        #expect(BFCLTask().score(s0, completion: "", toolCalls: [ToolCall(name: "calc_binomial_probability", arguments: #"{"k": 5.0, "n": 20, "p": 0.6}"#)]).correct)
        #expect(!BFCLTask().score(s0, completion: "", toolCalls: [ToolCall(name: "calc_binomial_probability", arguments: #"{"n": 20, "k": 5, "p": "0.6"}"#)]).correct)
    }

    /// Golden set made by scripts/bfcl/golden_cases.py with bfcl-eval 2026.3.23's own checker.
    @Test func verdictsAgreeWithBFCLEvalOnTheGoldenSet() throws {
        guard let home = importedBFCLHome() else { return }
        let task = try #require(BFCLASTTask.all.first { $0.id == "bfcl-ast" })
        let byID = Dictionary(try task.samples(home: home).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        struct Case: Decodable {
            var id: String
            var note: String
            var tool_calls: [ToolCall]?
            var valid: Bool
            var error_type: String?
        }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/bfcl-ast-cases.jsonl")
        let cases = try JSONLines.decode(Case.self, from: try Data(contentsOf: url), file: url.path)
        #expect(cases.count > 500)
        #expect(Set(cases.map { BFCLASTTask.category(ofID: $0.id) }).count == 5)
        #expect(cases.contains { $0.valid } && cases.contains { !$0.valid })
        var disagreements: [String] = []
        for c in cases {
            let sample = try #require(byID[c.id], "\(c.id) is not in the imported data")
            let v = BFCLChecker.evaluate(category: sample.metadata!["category"]!, functions: try PyParser.json(sample.metadata!["functions"]!).listItems!,
                                         possibleAnswer: try PyParser.json(sample.target).listItems ?? [], toolCalls: c.tool_calls)
            if v.valid != c.valid || v.errorType != c.error_type {
                disagreements.append("\(c.id) [\(c.note)]: bfcl-eval \(c.valid) \(c.error_type ?? "-"), ptb \(v.valid) \(v.errorType ?? "-") \(v.error ?? "")")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) of \(cases.count):\n\(disagreements.prefix(10).joined(separator: "\n"))")
    }
}

@Suite struct BFCLImportTests {
    /// A directory laid out as bfcl-eval's, with entries this test writes itself.
    @Test func importsEverySplitOfADataDirectoryAndScoresOffline() async throws {
        let t = TempHome()
        defer { t.cleanup() }
        let fn = #"[{"name": "f.g", "description": "d", "parameters": {"type": "dict", "properties": {"x": {"type": "integer", "description": "x"}}, "required": ["x"]}}]"#
        let q: (String) -> String = { #"{"id": "\#($0)", "question": [[{"role": "user", "content": "call f"}]], "function": \#(fn)}"# }
        let a: (String) -> String = { #"{"id": "\#($0)", "ground_truth": [{"f.g": {"x": [1]}}]}"# }
        let stems = ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"]
        for s in stems {
            _ = try t.file("data/BFCL_v4_\(s).json", q("\(s)_0") + "\n")
            if s != "irrelevance" { _ = try t.file("data/possible_answer/BFCL_v4_\(s).json", a("\(s)_0") + "\n") }
        }
        // Names that end like another split's must not be taken for it.
        _ = try t.file("data/BFCL_v4_live_irrelevance.json", q("live_irrelevance_0") + "\n" + q("live_irrelevance_1") + "\n")
        _ = try t.file("data/BFCL_v3_multiple.json", q("multiple_old_0") + "\n" + q("multiple_old_1") + "\n")
        _ = try t.file("data/unused_datasets/question/BFCL_v4_exec_simple.json", q("exec_simple_0") + "\n")
        _ = try t.file("data/unused_datasets/possible_answer/BFCL_v4_exec_simple.json",
                       #"{"id": "exec_simple_0", "ground_truth": ["f.g(x=1)"]}"# + "\n")
        let store = TaskDataStore(home: t.home)
        let imported = try store.importDirectory(t.root.appendingPathComponent("upstream/data"), task: BFCLTask())
        #expect(imported.map(\.0.file) == BFCLData.splits.map { "\($0).jsonl" })
        #expect(imported.allSatisfy { $0.0.rows == 1 && $0.1.count == 1 })  // fewer rows than upstream: warned
        #expect(store.status([BFCLTask()]).allSatisfy { $0.state == .ok })

        let ast = BFCLASTTask.all.first { $0.id == "bfcl-ast" }!
        #expect(try ast.samples(home: t.home).map(\.id) == stems.map { "\($0)_0" })
        let input = try t.file("in.jsonl", """
            {"id": "simple_python_0", "tool_calls": [{"name": "f_g", "arguments": "{\\"x\\": 1}"}]}
            {"id": "parallel_0", "completion": "", "tool_calls": [{"function": {"name": "f_g", "arguments": "{\\"x\\": 2}"}}]}
            {"id": "irrelevance_0", "completion": "I cannot help with that."}

            """)
        let (lines, summary, _) = try await OfflineScorer(task: ast, home: t.home).score(try OfflineScorer.readCompletions(from: input))
        #expect(lines.map(\.correct) == [true, false, true])
        #expect(summary.n == 3 && summary.correct == 2)
        let exec = try BFCLTask().samples(home: t.home)
        #expect(exec.map(\.target) == ["f.g(x=1)"])
        #expect(BFCLTask().score(exec[0], completion: "", toolCalls: [ToolCall(name: "f.g", arguments: #"{"x": 1}"#)]).correct)
    }
}

/// Issue 16 item 6: the exec_simple items and the `tools` JSON are the original's. The golden holds
/// the SHA-256 of what the original's own code sends per item (inspect_evals' bfcl conversion run
/// by inspect_ai 0.3.150's `openai_chat_tools`: `required` always, `additionalProperties: false`,
/// BFCL types mapped, key order kept); scripts/bfcl/inspect_tools_golden.py regenerates it.
@Suite struct BFCLInspectToolsTests {
    @Test func execSimpleToolsAreByteForByteWhatTheOriginalSends() throws {
        guard let home = importedBFCLHome() else { return }
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden/bfcl-inspect-tools-sha256.json")
        let want = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: golden))
        let samples = try BFCLTask().samples(home: home)
        // The same 100 items (bfcl-eval's exec_simple is unchanged from its first release, 2025.6.8).
        #expect(Set(samples.map(\.id)) == Set(want.keys))
        var differ: [String] = []
        for s in samples {
            let tools = try #require(s.tools)
            if Hashing.sha256(Data(tools.utf8)) != want[s.id] { differ.append("\(s.id): \(tools)") }
        }
        #expect(differ.isEmpty, "\(differ.count) items differ from the original's tools JSON; first: \(differ.first ?? "")")
    }
}
