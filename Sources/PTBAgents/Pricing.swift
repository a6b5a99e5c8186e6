import Foundation
import PTBCore

extension ModelPrice {
    /// The cost of an agent's token use at this price (`PriceTable`, PTBCore).
    public func cost(_ u: TokenUsage) -> Double { cost(prompt: u.input, cached: u.cached, completion: u.output) }
}
