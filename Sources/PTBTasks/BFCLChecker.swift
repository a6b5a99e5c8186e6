import Foundation
import PTBCore

/// The official BFCL AST checker (bfcl-eval's `eval_checker/ast_eval/ast_checker.py` and the
/// relevance/AST entry evaluation of `eval_runner.py`), ported rule for rule for Python test
/// categories and function-calling (FC) model output. Its quirks are kept on purpose: a verdict
/// must agree with the official one on every sample (tested against bfcl-eval on a golden set).
public enum BFCLChecker {
    public struct Verdict: Sendable, Equatable {
        public var valid: Bool
        public var errorType: String?
        public var error: String?

        static let ok = Verdict(valid: true, errorType: nil, error: nil)
        static func bad(_ type: String, _ error: String) -> Verdict { Verdict(valid: false, errorType: type, error: error) }
    }

    /// `PYTHON_TYPE_MAPPING`, as Python type names.
    static let pythonTypes: [String: String] = [
        "string": "str", "integer": "int", "float": "float", "boolean": "bool",
        "array": "list", "tuple": "list", "dict": "dict", "any": "str",
    ]

    /// Whole-entry evaluation of an FC model's tool calls, as `eval_runner` does for the AST and
    /// irrelevance categories. `toolCalls` nil or empty means the model answered with text,
    /// which the FC decoder cannot decode.
    public static func evaluate(category: String, functions: [PyValue], possibleAnswer: [PyValue], toolCalls: [ToolCall]?,
                                underscoreToDot: Bool = true) -> Verdict {
        let decoded = decode(toolCalls)
        if category.contains("irrelevance") {
            // `_evaluate_single_relevance_entry`: a call that decodes and is not empty is a failure.
            if case .success(let calls) = decoded, !isEmptyOutput(calls) {
                return .bad("irrelevance_error:decoder_success", "Valid syntax. Successfully decode AST when it should not.")
            }
            return .ok
        }
        let calls: [PyValue]
        switch decoded {
        case .failure(let e): return .bad("ast_decoder:decoder_failed", "Invalid syntax. Failed to decode AST. \(e.message)")
        case .success(let c): calls = c
        }
        guard isFunctionCallingFormat(calls) else {
            return .bad("ast_decoder:decoder_wrong_output_format", "Did not output in the specified format.")
        }
        return astChecker(functions: functions, output: calls, possibleAnswer: possibleAnswer, category: category,
                          underscoreToDot: underscoreToDot)
    }

    struct DecodeError: Error { var message: String }

    /// The OpenAI FC handler's `decode_ast`: `[{name: json.loads(arguments)}]`.
    static func decode(_ toolCalls: [ToolCall]?) -> Result<[PyValue], DecodeError> {
        guard let toolCalls, !toolCalls.isEmpty else { return .failure(DecodeError(message: "the response has no tool calls")) }
        var out: [PyValue] = []
        for c in toolCalls {
            do { out.append(.dict([(c.name, try PyParser.json(c.arguments))])) } catch {
                return .failure(DecodeError(message: "arguments of \(c.name) are not JSON: \(error)"))
            }
        }
        return .success(out)
    }

    /// `is_function_calling_format_output`: a list of one-key dicts whose value is a dict.
    static func isFunctionCallingFormat(_ calls: [PyValue]) -> Bool {
        calls.allSatisfy { c in
            guard let p = c.dictPairs, p.count == 1, p[0].1.dictPairs != nil else { return false }
            return true
        }
    }

    /// `is_empty_output`.
    static func isEmptyOutput(_ calls: [PyValue]) -> Bool {
        if !isFunctionCallingFormat(calls) || calls.isEmpty { return true }
        return calls.count == 1 && (calls[0].dictPairs?.isEmpty ?? false)
    }

    /// `ast_checker` for Python categories.
    public static func astChecker(functions: [PyValue], output: [PyValue], possibleAnswer: [PyValue], category: String,
                                  underscoreToDot: Bool = true) -> Verdict {
        if category.contains("parallel") {
            return parallelNoOrder(functions, output, possibleAnswer, underscoreToDot)
        } else if category.contains("multiple") {
            guard output.count == possibleAnswer.count else { return .bad("multiple_function_checker:wrong_count", "Wrong number of functions.") }
            guard let first = possibleAnswer.first, let name = first.dictPairs?.first?.0, let desc = findDescription(functions, name) else {
                return .bad("checker_error", "no function description for the expected function")
            }
            return simpleFunctionChecker(desc, output[0], first, underscoreToDot)
        }
        guard output.count == 1 else { return .bad("simple_function_checker:wrong_count", "Wrong number of functions.") }
        guard let desc = functions.first, let answer = possibleAnswer.first else { return .bad("checker_error", "empty function list") }
        return simpleFunctionChecker(desc, output[0], answer, underscoreToDot)
    }

    static func findDescription(_ functions: [PyValue], _ name: String) -> PyValue? {
        functions.first { $0["name"]?.stringValue == name }
    }

    /// `parallel_function_checker_no_order`: each expected call, in order, takes the first
    /// not-yet-matched model call that passes (greedy, as upstream).
    static func parallelNoOrder(_ functions: [PyValue], _ output: [PyValue], _ answers: [PyValue], _ u2d: Bool) -> Verdict {
        guard output.count == answers.count else {
            return .bad("parallel_function_checker_no_order:wrong_count", "Wrong number of functions.")
        }
        var matched = Set<Int>()
        for (i, answer) in answers.enumerated() {
            guard let name = answer.dictPairs?.first?.0, let desc = findDescription(functions, name) else {
                return .bad("checker_error", "no function description for expected call \(i)")
            }
            var last = Verdict.bad("parallel_function_checker_no_order:cannot_find_match", "")
            for index in output.indices where !matched.contains(index) {
                last = simpleFunctionChecker(desc, output[index], answer, u2d)
                if last.valid { matched.insert(index); break }
            }
            if !last.valid {
                return .bad("parallel_function_checker_no_order:cannot_find_match",
                            "Could not find a matching function for index \(i) of possible answers (last error: \(last.error ?? "")).")
            }
        }
        return .ok
    }

    static func convertFuncName(_ name: String, _ u2d: Bool) -> String {
        u2d && name.contains(".") ? name.replacingOccurrences(of: ".", with: "_") : name
    }

    /// `simple_function_checker` (Python branch).
    static func simpleFunctionChecker(_ desc: PyValue, _ modelOutput: PyValue, _ answer: PyValue, _ u2d: Bool) -> Verdict {
        guard let possible = answer.dictPairs?.first?.1.dictPairs,
              let rawName = desc["name"]?.stringValue,
              let details = desc["parameters"]?["properties"]?.dictPairs,
              let required = desc["parameters"]?["required"]?.listItems else {
            return .bad("checker_error", "malformed function description or possible answer")
        }
        let funcName = convertFuncName(rawName, u2d)
        guard let params = modelOutput[funcName]?.dictPairs else {
            return .bad("simple_function_checker:wrong_func_name", "Function name '\(funcName)' not found in model output.")
        }
        func has(_ pairs: [(String, PyValue)], _ key: String) -> Bool { pairs.contains { $0.0 == key } }
        func lookup(_ pairs: [(String, PyValue)], _ key: String) -> PyValue? { pairs.first { $0.0 == key }?.1 }
        for r in required {
            if let name = r.stringValue, !has(params, name) {
                return .bad("simple_function_checker:missing_required", "Missing required parameter: '\(name)'.")
            }
        }
        for (param, original) in params {
            guard let detail = lookup(details, param), let allowedValue = lookup(possible, param) else {
                return .bad("simple_function_checker:unexpected_param", "Unexpected parameter: '\(param)'.")
            }
            let allowed = pyIterate(allowedValue)
            guard let typeDesc = detail["type"]?.stringValue, let expected = pythonTypes[typeDesc] else {
                return .bad("checker_error", "parameter \(param) has a type the Python checker does not know")
            }
            var nested: String?
            if typeDesc == "array" || typeDesc == "tuple" {
                guard let itemType = detail["items"]?["type"]?.stringValue, let n = pythonTypes[itemType] else {
                    return .bad("checker_error", "parameter \(param) has no item type the Python checker knows")
                }
                nested = n
            }
            var value = original
            if typeDesc == "tuple", case .tuple(let xs) = value { value = .list(xs) }
            if typeDesc == "float", case .int(let n) = value { value = .float(Double(n)) }

            let tc = typeChecker(param, value, allowed, typeDesc, expected, nested)
            guard tc.verdict.valid else { return tc.verdict }
            if !tc.isVariable {
                var special: Verdict?
                if expected == "dict" {
                    special = dictChecker(param, value, allowed)
                } else if expected == "list", nested == "dict" {
                    special = listDictChecker(param, value, allowed)
                } else if expected == "str" {
                    special = stringChecker(param, value, allowed)
                } else if expected == "list" {
                    special = listChecker(param, value, allowed)
                }
                if let special {
                    if !special.valid { return special }
                    continue
                }
            }
            if !value.isIn(allowed) {
                return .bad("value_error:others", "Invalid value for parameter '\(param)': \(value). Expected one of \(PyValue.list(allowed)).")
            }
        }
        for (param, allowedValue) in possible where !has(params, param) && !containsEmptyString(allowedValue) {
            return .bad("simple_function_checker:missing_optional",
                        "Optional parameter '\(param)' not provided and not marked as optional.")
        }
        return .ok
    }

    /// `"" in x`: membership for lists, substring for strings (always true for "").
    static func containsEmptyString(_ x: PyValue) -> Bool {
        if case .string = x { return true }
        return PyValue.string("").isIn(x.listItems ?? [])
    }

    /// What `for v in x` / `x[i] for i in range(len(x))` yields: items, characters or keys.
    static func pyIterate(_ x: PyValue) -> [PyValue] {
        switch x {
        case .list(let xs), .tuple(let xs): xs
        case .string(let s): s.unicodeScalars.map { .string(String($0)) }
        case .dict(let p): p.map { .string($0.0) }
        default: []
        }
    }

    /// `get_possible_answer_type`: the type of the first allowed value that is not "".
    static func possibleAnswerType(_ allowed: [PyValue]) -> String? {
        for a in allowed where !PyValue.pyEqual(a, .string("")) { return a.typeName }
        return nil
    }

    struct TypeCheck {
        var verdict: Verdict
        var isVariable: Bool
    }

    /// `type_checker`: a value of another type than the schema's passes when it has the type of
    /// the allowed values (a "variable"), and is then compared by plain equality.
    static func typeChecker(_ param: String, _ value: PyValue, _ allowed: [PyValue], _ typeDesc: String, _ expected: String,
                            _ nested: String?) -> TypeCheck {
        let paType = possibleAnswerType(allowed)
        let isVariable = paType.map { $0 != expected } ?? false
        var nestedFailure: Verdict?
        if value.typeName == expected {
            guard let nested else { return TypeCheck(verdict: .ok, isVariable: isVariable) }
            for item in allowed {
                var flag = true
                if case .list(let inner) = item {
                    for v in pyIterate(value) where !typeChecker(param, v, inner, nested, nested, nil).verdict.valid {
                        flag = false
                        break
                    }
                }
                if flag { return TypeCheck(verdict: .ok, isVariable: isVariable) }
            }
            nestedFailure = .bad("type_error:nested", "Nested type checking failed for parameter '\(param)'. Expected outer type \(typeDesc) with inner type \(nested). Parameter value: \(value).")
        }
        if let paType, value.typeName == paType {
            return TypeCheck(verdict: nestedFailure ?? .ok, isVariable: true)
        }
        return TypeCheck(verdict: .bad("type_error:simple", "Incorrect type for parameter '\(param)'. Expected type \(typeDesc), got \(value.typeName). Parameter value: \(value)."),
                         isVariable: false)
    }

    /// `standardize_string`: drops ` ,./-_*^`, lowercases, turns `'` into `"`.
    public static func standardize(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars where !" ,./-_*^".unicodeScalars.contains(u) { out.append(u) }
        return String(out).lowercased().replacingOccurrences(of: "'", with: "\"")
    }

    static func standardized(_ v: PyValue) -> PyValue {
        if case .string(let s) = v { return .string(standardize(s)) }
        return v
    }

    static func stringChecker(_ param: String, _ value: PyValue, _ allowed: [PyValue]) -> Verdict {
        guard case .string(let s) = value else { return .bad("checker_error", "string expected") }
        let candidates = allowed.compactMap(\.stringValue).map(standardize)
        guard candidates.contains(standardize(s)) else {
            return .bad("value_error:string", "Invalid value for parameter '\(param)': \(value). Expected one of \(PyValue.list(allowed)). Case insensitive.")
        }
        return .ok
    }

    static func listChecker(_ param: String, _ value: PyValue, _ allowed: [PyValue]) -> Verdict {
        let model = PyValue.list(pyIterate(value).map(standardized))
        let candidates = allowed.map { PyValue.list(pyIterate($0).map(standardized)) }
        guard model.isIn(candidates) else {
            return .bad("value_error:list/tuple", "Invalid value for parameter '\(param)': \(value). Expected one of \(PyValue.list(allowed)).")
        }
        return .ok
    }

    static func dictChecker(_ param: String, _ value: PyValue, _ allowed: [PyValue]) -> Verdict {
        guard let model = value.dictPairs else { return .bad("checker_error", "dict expected for \(param)") }
        var result = Verdict.bad("dict_checker:unclear", "")
        for answer in allowed {
            if PyValue.pyEqual(answer, .string("")) { continue }
            result = .bad("dict_checker:unclear", "")
            guard let expected = answer.dictPairs else { continue }
            var flag = true
            for (key, v) in model {
                guard let allowedValues = expected.first(where: { $0.0 == key })?.1 else {
                    result = .bad("value_error:dict_key", "Unexpected dict key parameter: '\(key)'.")
                    flag = false
                    break
                }
                let candidates = pyIterate(allowedValues).map(standardized)
                if !standardized(v).isIn(candidates) {
                    result = .bad("value_error:dict_value", "Invalid value for parameter '\(key)': \(v). Expected one of \(PyValue.list(candidates)).")
                    flag = false
                    break
                }
            }
            for (key, values) in expected where !model.contains(where: { $0.0 == key }) && !containsEmptyString(values) {
                result = .bad("value_error:dict_key", "Missing dict key parameter: '\(key)'.")
                flag = false
                break
            }
            if flag { return .ok }
        }
        return result
    }

    static func listDictChecker(_ param: String, _ value: PyValue, _ allowed: [PyValue]) -> Verdict {
        let model = pyIterate(value)
        var result = Verdict.bad("list_dict_checker:unclear", "")
        for answer in allowed {
            let expected = pyIterate(answer)
            guard model.count == expected.count else {
                result = .bad("value_error:list_dict_count", "Wrong number of dictionaries in the list.")
                continue
            }
            var flag = true
            for (m, e) in zip(model, expected) {
                result = dictChecker(param, m, [e])
                if !result.valid { flag = false; break }
            }
            if flag { return .ok }
        }
        return result
    }
}
