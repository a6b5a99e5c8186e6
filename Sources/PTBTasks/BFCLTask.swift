import Foundation
import PTBCore

/// `bfcl`: inspect_evals' `bfcl` as the original ran it — BFCL v3 `exec_simple` (100 items),
/// the functions sent as tools, one tool call expected; correct iff exactly one call was made
/// and its name and arguments equal the ground truth (Python `==` on the parsed values, so
/// `1 == 1.0`; tuples in the ground truth compare as lists). No AST matching: for the official
/// checker see `bfcl-ast` and its per-category tasks.
///
/// This task also owns the imported BFCL data (`$PTB_HOME/data/bfcl/`, one split per
/// category), which the AST tasks read: `ptb data import bfcl <bfcl_eval/data>`.
public struct BFCLTask: DirectoryDatasetTask {
    public let id = "bfcl"
    public let benchmarkName = "Berkeley Function Calling Leaderboard (BFCL)"
    public let defaults = TaskDefaults(limit: nil, maxTokens: 16000, maxConnections: 6, gpuMemoryUtilization: 0.8,
                                       retryMaxTokens: [12000, 8000])
    public let leaderboardName = "BFCL"
    public let paperWeight: Double? = 0.0746078457817324
    public let inspectNote = true
    public let scoring = ScoringMode.toolCalls
    public var testDataMarkers: [String] { BFCLData.testDataMarkers }

    public init() {}

    public func samples(home: PTBHome) throws -> [Sample] {
        try BFCLData.rows(home: home, split: "exec_simple").map { row in
            guard let truth = row.groundTruth?.listItems, truth.count == 1, let call = truth[0].stringValue,
                  let messages = row.messages else {
                throw TaskDataError.badRecord(file: "bfcl/exec_simple.jsonl", line: 0, reason: "\(row.id): expected one question and one ground-truth call")
            }
            let parsed = try PyParser.call(call)
            let target = PyValue.dict(parsed.arguments).jsonRoundTripped
            return Sample(id: row.id, messages: messages, target: Self.targetString(parsed.name, target),
                          metadata: ["function": parsed.name, "arguments": target.json],
                          tools: BFCLTools.inspect(row.functions))
        }
    }

    /// inspect_evals' target text: `name(k=v, …)` with Python reprs.
    static func targetString(_ name: String, _ args: PyValue) -> String {
        name + "(" + (args.dictPairs ?? []).map { "\($0.0)=\($0.1)" }.joined(separator: ", ") + ")"
    }

    public func score(_ sample: Sample, completion: String, toolCalls: [ToolCall]?) -> Score {
        guard let calls = toolCalls, calls.count == 1 else {
            return Score(value: 0, correct: false, answer: nil,
                         explanation: "expected exactly one tool call, got \(toolCalls?.count ?? 0)")
        }
        let call = calls[0]
        // inspect parses the arguments with json.loads; text that does not parse leaves no arguments.
        let args = (try? PyParser.json(call.arguments)) ?? .dict([])
        let expectedArgs = (try? PyParser.json(sample.metadata?["arguments"] ?? "{}")) ?? .dict([])
        let ok = call.name == sample.metadata?["function"] && PyValue.pyEqual(args, expectedArgs)
        return Score(value: ok ? 1 : 0, correct: ok, answer: Self.targetString(call.name, args),
                     explanation: ok ? nil : "expected \(sample.target)")
    }

    /// Text alone is never a tool call.
    public func score(_ sample: Sample, completion: String) -> Score {
        score(sample, completion: completion, toolCalls: nil)
    }

    public func contextFiles() throws -> [String: String] { [:] }

    public var devSplitNote: String { "The bfcl task tests exec_simple, and every other imported BFCL category is the test split of a bfcl-* task." }

    // MARK: data

    public let dataSplits = BFCLData.splits
    public let upstreamRows = ["exec_simple": 100, "simple": 400, "multiple": 200, "parallel": 200, "parallel_multiple": 200, "irrelevance": 240]
    public let dataSource = "bfcl-eval's data directory (`pip download --no-deps bfcl-eval==2026.3.23`, unzip, bfcl_eval/data/ with possible_answer/)"

    public func importCommand(split: String) -> String { "ptb data import bfcl <bfcl_eval/data directory>" }

    public func normalise(_ data: Data, fileName: String, split: String) throws -> [String] {
        var out: [String] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let v: PyValue
            do { v = try PyParser.json(String(line)) } catch {
                throw TaskDataError.badRecord(file: fileName, line: n + 1, reason: "not valid JSON (\(error))")
            }
            guard v["id"]?.stringValue != nil, v["question"]?.listItems != nil, v["function"]?.listItems != nil else {
                throw TaskDataError.badRecord(file: fileName, line: n + 1, reason: "needs \"id\", \"question\" and \"function\"")
            }
            if split != "irrelevance", v["ground_truth"] == nil {
                throw TaskDataError.badRecord(file: fileName, line: n + 1, reason: "no ground truth (possible_answer) for \(v["id"]!.stringValue!)")
            }
            out.append(v.json)
        }
        return out
    }

    public func readDirectory(_ dir: URL) throws -> [(split: String, data: Data, source: URL)] {
        try BFCLData.read(dir)
    }
}

/// BFCL data as imported: one JSON line per entry, the question file's record plus
/// `ground_truth` from `possible_answer/` (absent for irrelevance).
public enum BFCLData {
    /// Names of BFCL's upstream data, shared by `bfcl` and every `bfcl-*` task (they read the same files).
    public static let testDataMarkers = ["bfcl_v3_", "berkeley-function-calling-leaderboard", "bfcl_eval/data"]
    /// ptb split names; upstream file stems are tried in order (v4 names simple `simple_python`).
    public static let splits = ["exec_simple", "simple", "multiple", "parallel", "parallel_multiple", "irrelevance"]
    static let stems: [String: [String]] = ["simple": ["simple_python", "simple"]]

    public struct Row: Sendable {
        public var id: String
        public var value: PyValue
        public var functions: [PyValue] { value["function"]?.listItems ?? [] }
        public var groundTruth: PyValue? { value["ground_truth"] }
        /// The first turn's messages (the single-turn categories have one turn).
        public var messages: [ChatMessage]? {
            guard let turn = value["question"]?.listItems?.first?.listItems else { return nil }
            return turn.compactMap { m in
                guard let role = m["role"]?.stringValue, let content = m["content"]?.stringValue else { return nil }
                return ChatMessage(role: role, content: content)
            }
        }
    }

    public static func rows(home: PTBHome, split: String) throws -> [Row] {
        let data = try TaskDataStore(home: home).verifiedData(task: BFCLTask(), split: split)
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated().map { n, line in
            do {
                let v = try PyParser.json(String(line))
                return Row(id: v["id"]?.stringValue ?? "", value: v)
            } catch {
                throw TaskDataError.badRecord(file: "bfcl/\(split).jsonl", line: n + 1, reason: "\(error)")
            }
        }
    }

    /// Finds the question and possible-answer files of every split under bfcl-eval's data
    /// directory (also given as the unpacked wheel or the `bfcl_eval` package), joins them by id.
    static func read(_ given: URL) throws -> [(split: String, data: Data, source: URL)] {
        let fm = FileManager.default
        let candidates = [given, given.appendingPathComponent("data"), given.appendingPathComponent("bfcl_eval/data")]
        guard let dir = candidates.first(where: { fm.fileExists(atPath: $0.appendingPathComponent("possible_answer").path) }) else {
            throw TaskDataError.unreadable(path: given.path, reason: "no possible_answer/ folder here: give bfcl-eval's bfcl_eval/data directory")
        }
        var out: [(split: String, data: Data, source: URL)] = []
        for split in splits {
            let questionDirs = [dir, dir.appendingPathComponent("unused_datasets/question")]
            let answerDirs = [dir.appendingPathComponent("possible_answer"), dir.appendingPathComponent("unused_datasets/possible_answer")]
            guard let q = find(split, in: questionDirs) else {
                throw TaskDataError.unreadable(path: dir.path, reason: "no BFCL_v*_\((stems[split] ?? [split])[0]).json question file")
            }
            var answers: [String: PyValue] = [:]
            if split != "irrelevance" {
                guard let a = find(split, in: answerDirs) else {
                    throw TaskDataError.unreadable(path: dir.path, reason: "no possible_answer/BFCL_v*_\((stems[split] ?? [split])[0]).json")
                }
                for line in try lines(a) {
                    let v = try PyParser.json(line)
                    if let id = v["id"]?.stringValue, let gt = v["ground_truth"] { answers[id] = gt }
                }
            }
            var merged: [String] = []
            for line in try lines(q) {
                let v = try PyParser.json(line)
                guard var pairs = v.dictPairs, let id = v["id"]?.stringValue else { continue }
                if let gt = answers[id] { pairs.append(("ground_truth", gt)) }
                merged.append(PyValue.dict(pairs).json)
            }
            out.append((split, Data((merged.joined(separator: "\n") + "\n").utf8), q))
        }
        return out
    }

    static func find(_ split: String, in dirs: [URL]) -> URL? {
        for stem in stems[split] ?? [split] {
            for d in dirs {
                // Exactly `BFCL_v<version>_<stem>.json`: `multiple` must not match `parallel_multiple`.
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: d.path)) ?? []).filter { name in
                    guard name.hasPrefix("BFCL_v") else { return false }
                    let rest = name.dropFirst(6)
                    let version = rest.prefix { $0.isNumber }
                    return !version.isEmpty && rest.dropFirst(version.count) == "_\(stem).json"
                }.sorted { a, b in
                    Int(a.dropFirst(6).prefix { $0.isNumber }) ?? 0 < Int(b.dropFirst(6).prefix { $0.isNumber }) ?? 0
                }
                if let newest = names.last { return d.appendingPathComponent(newest) }
            }
        }
        return nil
    }

    static func lines(_ url: URL) throws -> [String] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw TaskDataError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return text.split(separator: "\n").map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
    }
}

/// Function documents turned into OpenAI `tools`.
public enum BFCLTools {
    /// bfcl-eval's FC preparation: the Python language hint appended to each description, then
    /// `convert_to_tool` with `GORILLA_TO_OPENAPI` (dots in names become `_`, `float` becomes
    /// `number` with `format: float` and a note).
    public static func official(_ functions: [PyValue]) -> String {
        let tools = functions.map { f -> PyValue in
            var item = f.dictPairs ?? []
            set(&item, "name", .string((f["name"]?.stringValue ?? "").replacingOccurrences(of: ".", with: "_")))
            set(&item, "description", .string((f["description"]?.stringValue ?? "") + " Note that the provided function is in Python 3 syntax."))
            if var params = f["parameters"]?.dictPairs {
                set(&params, "type", .string("object"))
                if let props = params.first(where: { $0.0 == "properties" })?.1 {
                    set(&params, "properties", castProperties(props, hint: true))
                }
                set(&item, "parameters", .dict(params))
            }
            return .dict([("type", .string("function")), ("function", .dict(item))])
        }
        return PyValue.list(tools).json
    }

    /// What the original's BFCL task sends as `tools`: inspect_evals' `create_tool_info_from_dict`
    /// (BFCL types mapped dict→object, float→number, tuple→array; only type, description, default,
    /// enum, items, properties, additionalProperties and required kept) and inspect_ai's
    /// `openai_chat_tools`, which dumps pydantic models without their None fields, in field order,
    /// and gives every function `required` and `"additionalProperties": false`. The chat template
    /// renders this JSON as it comes, so key order is part of the prompt. Golden:
    /// BFCLInspectToolsTests (hashes of the original code's own output).
    public static func inspect(_ functions: [PyValue]) -> String {
        let tools = functions.map { f -> PyValue in
            let params = f["parameters"].flatMap(inspectParam)
            let toolParams: PyValue = .dict([("type", .string("object")), ("properties", params?["properties"] ?? .dict([])),
                                             ("required", params?["required"].flatMap { truthy($0) ? $0 : nil } ?? .list([])),
                                             ("additionalProperties", .bool(false))])
            let fn: [(String, PyValue)] = [("name", f["name"] ?? .string("")), ("description", f["description"] ?? .string("")),
                                           ("parameters", toolParams)]
            return .dict([("type", .string("function")), ("function", .dict(fn))])
        }
        return PyValue.list(tools).json
    }

    /// `create_tool_param` then `JSONSchema.model_dump(exclude_none=True)`.
    static func inspectParam(_ d: PyValue) -> PyValue? {
        guard d.dictPairs != nil else { return nil }
        var out: [(String, PyValue)] = []
        if let t = d["type"]?.stringValue { out.append(("type", .string(inspectTypes[t] ?? t))) }
        for key in ["description", "default", "enum"] {
            if let v = d[key], !isNone(v) { out.append((key, v)) }
        }
        if let items = d["items"], truthy(items), let p = inspectParam(items) { out.append(("items", p)) }
        if let props = d["properties"], truthy(props), let pairs = props.dictPairs {
            out.append(("properties", .dict(pairs.compactMap { k, v in isNone(v) ? nil : inspectParam(v).map { (k, $0) } })))
        }
        if let ap = d["additionalProperties"], !isNone(ap) {
            out.append(("additionalProperties", ap.dictPairs != nil ? pydanticSchema(ap) : ap))
        }
        if let r = d["required"], !isNone(r) { out.append(("required", r)) }
        return .dict(out)
    }

    /// A raw dict validated as pydantic's `JSONSchema` (no BFCL type mapping): known fields only,
    /// in the model's field order, None fields dropped.
    static func pydanticSchema(_ d: PyValue) -> PyValue {
        var out: [(String, PyValue)] = []
        for key in ["type", "format", "description", "default", "enum", "items", "properties", "additionalProperties", "anyOf", "required"] {
            guard let v = d[key], !isNone(v) else { continue }
            switch key {
            case "items": out.append((key, v.dictPairs != nil ? pydanticSchema(v) : v))
            case "additionalProperties": out.append((key, v.dictPairs != nil ? pydanticSchema(v) : v))
            case "properties": out.append((key, .dict((v.dictPairs ?? []).map { ($0.0, pydanticSchema($0.1)) })))
            case "anyOf": out.append((key, .list((v.listItems ?? []).map(pydanticSchema))))
            default: out.append((key, v))
            }
        }
        return .dict(out)
    }

    /// inspect_evals' `get_type`.
    static let inspectTypes = ["dict": "object", "float": "number", "tuple": "array"]

    static func isNone(_ v: PyValue) -> Bool {
        if case .none = v { return true }
        return false
    }

    /// Python truthiness of a container (what `if param_dict.get(...)` tests).
    static func truthy(_ v: PyValue) -> Bool {
        switch v {
        case .none: false
        case .dict(let p): !p.isEmpty
        case .list(let xs), .tuple(let xs): !xs.isEmpty
        case .string(let s): !s.isEmpty
        case .bool(let b): b
        case .int(let i): i != 0
        case .float(let d): d != 0
        }
    }

    static let openAPITypes: [String: String] = [
        "integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
        "bool": "boolean", "array": "array", "list": "array", "dict": "object", "object": "object", "tuple": "array",
        "any": "string",
    ]

    static func set(_ pairs: inout [(String, PyValue)], _ key: String, _ value: PyValue) {
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
    }

    /// `_cast_to_openai_type`, applied to nested properties and items as well.
    static func castProperties(_ props: PyValue, hint: Bool) -> PyValue {
        guard let pairs = props.dictPairs else { return props }
        return .dict(pairs.map { key, schema in (key, castSchema(schema, hint: hint)) })
    }

    static func castSchema(_ schema: PyValue, hint: Bool) -> PyValue {
        guard var s = schema.dictPairs else { return schema }
        let type = schema["type"]?.stringValue
        if hint, type == "float" {
            set(&s, "format", .string("float"))
            set(&s, "description", .string((schema["description"]?.stringValue ?? "") + " This is a float type value."))
        }
        set(&s, "type", .string(type.flatMap { openAPITypes[$0] } ?? "string"))
        if let p = schema["properties"] { set(&s, "properties", castProperties(p, hint: hint)) }
        if let items = schema["items"], var itemPairs = items.dictPairs {
            if let t = items["type"]?.stringValue { set(&itemPairs, "type", .string(openAPITypes[t] ?? "string")) }
            if let p = items["properties"] { set(&itemPairs, "properties", castProperties(p, hint: hint)) }
            if let inner = items["items"] { set(&itemPairs, "items", castSchema(inner, hint: false)) }
            set(&s, "items", .dict(itemPairs))
        }
        return .dict(s)
    }
}
