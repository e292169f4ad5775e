// Package search is the full-text index of knowledge articles: an
// in-memory bleve index with our own analysis of Swedish, Norwegian
// (Bokmål and Nynorsk) and English on top.
package search
