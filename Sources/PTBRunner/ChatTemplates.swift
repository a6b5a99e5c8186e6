import Foundation
import PTBCore

/// The fixed chat templates given to the agent (templates/) and used by the final evaluation.
/// Families without a template here are evaluated with the model's own tokenizer template.
enum ChatTemplates {
    static let chatml = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"

    static let all: [String: String] = ["chatml.jinja": chatml]

    static func file(for model: ModelInfo) -> String? {
        all[model.template] == nil ? nil : model.template
    }
}
