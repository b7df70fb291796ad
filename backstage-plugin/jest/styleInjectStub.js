// @backstage/ui injects its CSS (cascade layers, nesting) into <style> tags; jsdom cannot parse it and says so loudly.
module.exports = { __esModule: true, default: () => undefined };
