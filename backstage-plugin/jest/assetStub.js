// Stands for stylesheets and images imported by Backstage's frontend packages: jsdom neither needs nor parses them.
module.exports = {};
